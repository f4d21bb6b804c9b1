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
  const commits = (await store.listLog())
    .map((e) => ({ ...e, version: Number(COMMIT.exec(e.name)?.[1] ?? -1) }))
    .filter((e) => e.version >= 0)
    .sort((a, b) => b.version - a.version);
  async function* seen(): AsyncGenerator<CommitSeen> {
    for (const commit of commits) {
      const info = parseNdjson((await store.readLogFile(commit.name)).toString('utf8'), `${store.root}: commit ${commit.version}`).find((a) => a.commitInfo)?.commitInfo;
      const parsed = info ? parseCommitInfo(info) : undefined;
      yield { version: commit.version, jobRunId: parsed?.jobRunId ?? parsed?.taskRunId, time: parsed?.inCommitTimestamp ?? (await store.logFileTime(commit)) };
    }
  }
  return pickRunVersion(seen(), run, store.root, now);
}

/** One commit as `version: run` weighs it: the job run it names (writers older than `job.jobRunId` give the task's run id) and when it was made. */
export interface CommitSeen {
  version: number;
  jobRunId?: string;
  time: number;
}

/**
 * The rule of `version: run`, whoever lists the commits (the Delta log here, `DESCRIBE HISTORY` in
 * the warehouse): given commits newest first, the first naming the run, else the newest made
 * inside its window; commits older than the window end the search.
 */
export async function pickRunVersion(commits: AsyncIterable<CommitSeen> | Iterable<CommitSeen>, run: JobRunWindow, where: string, now = Date.now()): Promise<ResolvedVersion> {
  const end = run.endedAt ?? now;
  let inWindow: number | undefined;
  for await (const commit of commits) {
    if (run.jobRunId !== undefined && commit.jobRunId === run.jobRunId) return { version: commit.version, by: 'job-run' };
    if (inWindow === undefined && commit.time >= run.startedAt && commit.time <= end) inWindow = commit.version;
    if (commit.time < run.startedAt) break;
  }
  if (inWindow !== undefined) return { version: inWindow, by: 'window' };
  const window = `${new Date(run.startedAt).toISOString()} – ${new Date(end).toISOString()}`;
  throw new NotFoundError(`${where}: no version was committed by Databricks run ${run.jobRunId ?? '(unknown)'} or during it (${window})`);
}
