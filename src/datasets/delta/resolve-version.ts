import { NotFoundError } from '../../errors.ts';
import type { DeltaVersion, JobRunWindow } from '../types.ts';
import { parseCommitInfo } from './actions/commit-info.ts';
import { parseNdjson } from './log-replay.ts';
import type { TableStore } from './table-store.ts';

const COMMIT = /^(\d{20})\.json$/;

/** What the reader picked for `version: run`, and why (the report and the logs say it). */
export interface ResolvedVersion {
  version: number | 'latest';
  /** `job-run`: a commit names the job run; `window`: the newest commit inside its time window. */
  by?: 'job-run' | 'window';
}

/**
 * A version number (or `latest`) for the catalog's `version`. `run` is the version the parallel
 * run's Databricks job committed: the newest commit whose `commitInfo.job.jobRunId` (or, from
 * writers older than that field, `job.runId`) is the run's id; else the newest commit made
 * inside the run's time window. Commits after the window (other writers) are never picked.
 * Commit times are in-commit timestamps when the table has them, else the commit files'
 * modification times (formats.md 1.12).
 */
export async function resolveVersion(store: TableStore, version: DeltaVersion | undefined, run: JobRunWindow | undefined, now = Date.now()): Promise<ResolvedVersion> {
  if (version === undefined || version === 'latest') return { version: 'latest' };
  if (typeof version === 'number') return { version };
  if (!run) return { version: 'latest' };
  const end = run.endedAt ?? now;
  const commits = (await store.listLog())
    .map((e) => ({ ...e, version: Number(COMMIT.exec(e.name)?.[1] ?? -1) }))
    .filter((e) => e.version >= 0)
    .sort((a, b) => b.version - a.version);
  let inWindow: number | undefined;
  for (const commit of commits) {
    const info = parseNdjson((await store.readLogFile(commit.name)).toString('utf8'), `${store.root}: commit ${commit.version}`).find((a) => a.commitInfo)?.commitInfo;
    const parsed = info ? parseCommitInfo(info) : undefined;
    const time = parsed?.inCommitTimestamp ?? (await store.logFileTime(commit));
    if (run.jobRunId !== undefined && (parsed?.jobRunId === run.jobRunId || (parsed?.jobRunId === undefined && parsed?.taskRunId === run.jobRunId))) {
      return { version: commit.version, by: 'job-run' };
    }
    if (inWindow === undefined && time >= run.startedAt && time <= end) inWindow = commit.version;
    if (time < run.startedAt) break;
  }
  if (inWindow !== undefined) return { version: inWindow, by: 'window' };
  const window = `${new Date(run.startedAt).toISOString()} – ${new Date(end).toISOString()}`;
  throw new NotFoundError(`${store.root}: no version was committed by Databricks run ${run.jobRunId ?? '(unknown)'} or during it (${window})`);
}
