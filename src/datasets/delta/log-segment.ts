import { NotFoundError, UnsupportedError } from '../../errors.ts';
import type { LogEntry, TableStore } from './table-store.ts';

/** A checkpoint usable for a snapshot: every file it is made of (names under `_delta_log/`). */
export interface CheckpointFiles {
  version: number;
  kind: 'classic' | 'multipart' | 'uuid';
  files: LogEntry[];
}

/**
 * Which log files make up version `version` (formats.md 1.4): the newest complete checkpoint
 * at or below it, and every commit after that checkpoint up to it, with no gap. This is only
 * the file list; log-replay.ts reconciles the actions they hold.
 */
export interface LogSegment {
  version: number;
  checkpoint?: CheckpointFiles;
  /** Commits checkpoint+1 … version, ascending. */
  commits: Array<LogEntry & { version: number }>;
  /** `version.json`, also when the checkpoint is at `version`: commitInfo and its time live there. */
  last?: LogEntry;
}

const COMMIT = /^(\d{20})\.json$/;
const CLASSIC = /^(\d{20})\.checkpoint\.parquet$/;
const MULTIPART = /^(\d{20})\.checkpoint\.(\d{10})\.(\d{10})\.parquet$/;
const UUID = /^(\d{20})\.checkpoint\.[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\.(json|parquet)$/;

export function padVersion(version: number): string {
  return String(version).padStart(20, '0');
}

/**
 * Builds the segment for `version` (a number or `latest`). `_last_checkpoint` is only a hint:
 * the listing starts at its version when it is at or below the one asked for, and the whole log
 * is listed again when that finds no usable checkpoint or commit chain.
 */
export async function buildLogSegment(store: TableStore, version: number | 'latest'): Promise<LogSegment> {
  const hint = await readHint(store);
  if (hint !== undefined && hint > 0 && (version === 'latest' || hint <= version)) {
    const partial = segmentFrom(await store.listLog(`${padVersion(hint - 1)}~`), version, store.root, true);
    if (partial) return partial;
  }
  return segmentFrom(await store.listLog(), version, store.root, false) as LogSegment;
}

async function readHint(store: TableStore): Promise<number | undefined> {
  try {
    const json = JSON.parse((await store.readLogFile('_last_checkpoint')).toString('utf8')) as { version?: unknown };
    return typeof json.version === 'number' && Number.isInteger(json.version) ? json.version : undefined;
  } catch {
    return undefined; // no hint, or an unreadable one: list the log instead
  }
}

/** Undefined (when `partial`) if the listed files cannot make the version; the caller lists everything. */
function segmentFrom(entries: LogEntry[], wanted: number | 'latest', root: string, partial: boolean): LogSegment | undefined {
  const commits = new Map<number, LogEntry>();
  const checkpoints = new Map<number, CheckpointFiles[]>();
  const parts = new Map<string, LogEntry[]>();
  for (const e of entries) {
    let m: RegExpExecArray | null;
    if ((m = COMMIT.exec(e.name))) commits.set(Number(m[1]), e);
    else if (e.size === 0) continue; // 0-byte checkpoints are unfinished writes
    else if ((m = CLASSIC.exec(e.name))) addCheckpoint(checkpoints, { version: Number(m[1]), kind: 'classic', files: [e] });
    else if ((m = UUID.exec(e.name))) addCheckpoint(checkpoints, { version: Number(m[1]), kind: 'uuid', files: [e] });
    else if ((m = MULTIPART.exec(e.name))) {
      const id = `${m[1]}/${Number(m[3])}`;
      parts.set(id, [...(parts.get(id) ?? []), e]);
    }
  }
  for (const [id, files] of parts) {
    const [v, total] = id.split('/').map(Number) as [number, number];
    // A multi-part checkpoint with a part missing is unusable (still being written, or broken).
    if (new Set(files.map((f) => f.name)).size === total) addCheckpoint(checkpoints, { version: v, kind: 'multipart', files: files.sort((a, b) => (a.name < b.name ? -1 : 1)) });
  }
  const newest = Math.max(-1, ...commits.keys(), ...checkpoints.keys());
  if (newest < 0) {
    if (partial) return undefined;
    throw new NotFoundError(`${root}: _delta_log/ holds no commit`);
  }
  const version = wanted === 'latest' ? newest : wanted;
  if (version > newest && !partial) throw new NotFoundError(`${root}: version ${version} does not exist (the latest is ${newest})`);
  const checkpoint = bestCheckpoint(checkpoints, version);
  const first = checkpoint ? checkpoint.version + 1 : 0;
  const chain: LogSegment['commits'] = [];
  for (let v = first; v <= version; v++) {
    const entry = commits.get(v);
    if (!entry) {
      if (partial) return undefined;
      if (!checkpoint && chain.length === 0) throw new NotFoundError(`${root}: version ${version} cannot be rebuilt: no checkpoint at or below it and no commit ${v} (removed by log retention?)`);
      throw new UnsupportedError(`${root}: commit ${v} is missing from _delta_log/ between ${first} and ${version}`, 'log gap');
    }
    chain.push({ ...entry, version: v });
  }
  return { version, checkpoint, commits: chain, last: commits.get(version) };
}

function addCheckpoint(map: Map<number, CheckpointFiles[]>, c: CheckpointFiles): void {
  map.set(c.version, [...(map.get(c.version) ?? []), c]);
}

/** The newest checkpoint at or below `version`; at one version, UUID > multi-part (more parts first) > classic. */
function bestCheckpoint(map: Map<number, CheckpointFiles[]>, version: number): CheckpointFiles | undefined {
  const rank = (c: CheckpointFiles) => (c.kind === 'uuid' ? 3e9 : c.kind === 'multipart' ? 1e9 + c.files.length : 0);
  const at = [...map.keys()].filter((v) => v <= version).sort((a, b) => b - a)[0];
  if (at === undefined) return undefined;
  return (map.get(at) as CheckpointFiles[]).sort((a, b) => rank(b) - rank(a))[0];
}
