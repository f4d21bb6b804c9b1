import { UnsupportedError } from '../../errors.ts';
import { sqlString, type DuckDbSession } from '../../diff/duckdb-session.ts';
import { parseCommitInfo, type CommitInfo } from './actions/commit-info.ts';
import { fileKey, parseAdd, parseRemove, type AddFile } from './actions/file-actions.ts';
import { parseMetadata, type Metadata } from './actions/metadata.ts';
import { parseProtocol, type Protocol } from './actions/protocol.ts';
import type { LogSegment } from './log-segment.ts';
import type { TableStore } from './table-store.ts';

/** The table at one version: what the log says, before any data file is opened. */
export interface TableState {
  version: number;
  protocol: Protocol;
  metadata: Metadata;
  /** Live files: `add`s no later `remove` of the same (path, DV id) cancelled. */
  files: AddFile[];
  /** The version's commit time, epoch ms: its in-commit timestamp, else its commit file's modification time. */
  committedAt: number;
  /** The version's own commitInfo, when its commit file is still there. */
  commitInfo?: CommitInfo;
}

type Action = Record<string, Record<string, unknown>>;

/**
 * Replays a log segment (formats.md 1.4 step 5): the checkpoint's state, then each commit in
 * order, as a set (removes, then adds). The newest protocol and metaData win; file actions are
 * keyed by (path, DV unique id), so a DV update (remove old DV + add new DV of the same path)
 * leaves exactly the new one. Checkpoint `remove`s are only VACUUM tombstones and are skipped.
 */
export async function replayLog(session: DuckDbSession, store: TableStore, segment: LogSegment, checkProtocol: (p: Protocol) => void): Promise<TableState> {
  const checkpoint = segment.checkpoint ? await readCheckpoint(session, store, segment.checkpoint) : [];
  const commits = await Promise.all(
    segment.commits.map(async (c) => ({ ...c, actions: parseNdjson((await store.readLogFile(c.name)).toString('utf8'), `${store.root}: commit ${c.version}`) })),
  );
  // Protocol first (formats.md 1.4 step 4): a table this reader cannot read is refused by the
  // feature's name before any of its file actions is interpreted.
  const newest = [...commits].reverse().flatMap((c) => c.actions).find((a) => a.protocol) ?? checkpoint.find((a) => a.protocol);
  if (!newest?.protocol) throw new UnsupportedError(`${store.root}: no protocol action up to version ${segment.version}`, 'protocol');
  const protocol = parseProtocol(newest.protocol, `${store.root}: version ${segment.version}`);
  checkProtocol(protocol);

  let metadata: Metadata | undefined;
  const live = new Map<string, AddFile>();
  const cpWhere = `${store.root}: checkpoint ${segment.checkpoint?.version}`;
  for (const action of checkpoint) {
    if (action.metaData) metadata = parseMetadata(action.metaData, cpWhere);
    if (action.add) {
      const add = parseAdd(action.add, cpWhere);
      live.set(fileKey(add), add);
    }
  }
  let commitInfo: CommitInfo | undefined;
  for (const commit of commits) {
    const where = `${store.root}: commit ${commit.version}`;
    const adds: AddFile[] = [];
    for (const action of commit.actions) {
      if (action.metaData) metadata = parseMetadata(action.metaData, where);
      if (action.remove) live.delete(fileKey(parseRemove(action.remove, where)));
      if (action.add) adds.push(parseAdd(action.add, where));
      if (action.commitInfo && commit.version === segment.version) commitInfo = parseCommitInfo(action.commitInfo);
    }
    for (const add of adds) live.set(fileKey(add), add);
  }
  if (segment.last && !commitInfo && segment.commits.at(-1)?.version !== segment.version) {
    // The checkpoint is at this version: its commit file still holds commitInfo and the in-commit timestamp.
    const info = parseNdjson((await store.readLogFile(segment.last.name)).toString('utf8'), store.root).find((a) => a.commitInfo)?.commitInfo;
    if (info) commitInfo = parseCommitInfo(info);
  }
  if (!metadata) throw new UnsupportedError(`${store.root}: no metaData action up to version ${segment.version}`, 'metaData');
  const timed = segment.last ?? segment.checkpoint?.files[0];
  const fileTime = commitInfo?.inCommitTimestamp !== undefined || !timed ? 0 : await store.logFileTime(timed);
  return { version: segment.version, protocol, metadata, files: [...live.values()], committedAt: commitInfo?.inCommitTimestamp ?? fileTime, commitInfo };
}

export function parseNdjson(text: string, where: string): Action[] {
  const out: Action[] = [];
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    try {
      out.push(JSON.parse(line) as Action);
    } catch {
      throw new UnsupportedError(`${where}: a line is not JSON`, 'commit');
    }
  }
  return out;
}

/**
 * A checkpoint's actions. Parquet parts are read by DuckDB, one struct column per action kind
 * turned into JSON; a V2 checkpoint (UUID-named, or classic-named on a v2Checkpoint table) may
 * point at sidecar files, which hold its add/remove rows.
 */
async function readCheckpoint(session: DuckDbSession, store: TableStore, checkpoint: NonNullable<LogSegment['checkpoint']>): Promise<Action[]> {
  const actions: Action[] = [];
  const first = checkpoint.files[0]?.name ?? '';
  if (first.endsWith('.json')) {
    actions.push(...parseNdjson((await store.readLogFile(first)).toString('utf8'), `${store.root}: ${first}`));
  } else {
    const locals = await Promise.all(checkpoint.files.map((f) => store.localLogFile(f.name)));
    actions.push(...(await readParquetActions(session, locals, ['protocol', 'metaData', 'add', 'sidecar'])));
  }
  const sidecars = actions.filter((a) => a.sidecar).map((a) => String(a.sidecar?.path));
  if (sidecars.length > 0) {
    const locals = await Promise.all(
      sidecars.map((p) => {
        if (p.includes(':') || p.startsWith('/')) throw new UnsupportedError(`${store.root}: sidecar ${p} is not under _delta_log/_sidecars/`, 'v2Checkpoint sidecar path');
        return store.localLogFile(`_sidecars/${decodeURIComponent(p)}`);
      }),
    );
    actions.push(...(await readParquetActions(session, locals, ['add'])));
  }
  return actions;
}

async function readParquetActions(session: DuckDbSession, files: string[], kinds: string[]): Promise<Action[]> {
  const source = `read_parquet([${files.map(sqlString).join(', ')}], union_by_name = true)`;
  const present = new Set((await session.all(`DESCRIBE SELECT * FROM ${source}`)).map((r) => String(r.column_name)));
  const wanted = kinds.filter((k) => present.has(k));
  if (wanted.length === 0) return [];
  const rows = await session.all(
    `SELECT ${wanted.map((k) => `CAST(to_json("${k}") AS VARCHAR) AS "${k}"`).join(', ')} FROM ${source} WHERE ${wanted.map((k) => `"${k}" IS NOT NULL`).join(' OR ')}`,
  );
  return rows.map((row) => {
    const action: Action = {};
    for (const k of wanted) if (row[k] !== null && row[k] !== undefined) action[k] = JSON.parse(String(row[k])) as Record<string, unknown>;
    return action;
  });
}
