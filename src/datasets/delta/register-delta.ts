import { join } from 'node:path';
import { UsageError } from '../../errors.ts';
import type { DuckDbSession } from '../../diff/duckdb-session.ts';
import { isS3Path } from '../s3-source.ts';
import type { DatasetAccess } from '../register-dataset.ts';
import type { FileDataset, RegisterOptions, SourceInfo } from '../types.ts';
import { buildLogSegment } from './log-segment.ts';
import { replayLog } from './log-replay.ts';
import { resolveVersion } from './resolve-version.ts';
import { registerScan } from './scan.ts';
import { quoteIdent } from './schema.ts';
import { checkProtocol, planRead } from './table-features.ts';
import { localTableStore, s3TableStore, type TableStore } from './table-store.ts';

export interface RegisteredDelta {
  view: string;
  via: 'local' | 'download';
  files: string[];
  source: SourceInfo;
  /** Live rows, from the log's stats. */
  rows?: number;
  /** See RegisteredDataset.filtered. */
  filtered?: (filter: string) => string;
}

/**
 * Registers a Delta table's snapshot as the temp view `viewName`: the version is resolved
 * (`run`, `latest`, N), its log segment listed, the log replayed, the protocol and features
 * checked, and only then are the live files (and DV files) fetched and handed to DuckDB.
 */
export async function registerDelta(session: DuckDbSession, viewName: string, dataset: FileDataset, access: DatasetAccess = {}, options: RegisterOptions = {}): Promise<RegisteredDelta> {
  const store = tableStoreFor(dataset.path, session, viewName, access);
  const resolved = await resolveVersion(store, dataset.version, options.run);
  const segment = await buildLogSegment(store, resolved.version);
  const state = await replayLog(session, store, segment, (p) => checkProtocol(p, `${store.root} (version ${segment.version})`));
  const plan = planRead(state, store.root);
  const scan = await registerScan(session, viewName, state, plan, store);
  return {
    view: quoteIdent(viewName),
    via: isS3Path(dataset.path) ? 'download' : 'local',
    files: scan.files,
    rows: scan.rows,
    filtered: scan.filtered,
    source: { format: 'delta', version: state.version, committedAt: new Date(state.committedAt).toISOString() },
  };
}

function tableStoreFor(path: string, session: DuckDbSession, viewName: string, access: DatasetAccess): TableStore {
  if (!isS3Path(path)) return localTableStore(path);
  if (!access.s3) throw new UsageError(`${path}: reading from S3 needs an S3 client`);
  return s3TableStore(path, access.s3, join(session.workDir, 'delta', viewName), { signal: access.signal, concurrency: access.downloadConcurrency });
}
