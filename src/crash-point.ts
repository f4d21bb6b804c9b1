/**
 * A named place where a crash would hurt most (a record written, its follow-up not yet), so
 * crash tests can SIGKILL the process exactly there. Test-only: active only when the config's
 * `testCrashAt` (`CUTOVER_TEST_CRASH_AT`) names the point, which production never sets.
 */
export type CrashPoint = (name: CrashPointName) => void;

/** Every crash point in the code, so a test cannot name one that does not exist. */
export const CRASH_POINTS = ['cutover.approved', 'parallel.recorded', 'sns.received', 'sns.enqueued', 'slack.posted'] as const;
export type CrashPointName = (typeof CRASH_POINTS)[number];

/** The crash point of a process configured with `testCrashAt` (a no-op without it). */
export function createCrashPoint(testCrashAt: string | undefined): CrashPoint {
  if (!testCrashAt) return () => undefined;
  return (name) => {
    if (name === testCrashAt) process.kill(process.pid, 'SIGKILL');
  };
}
