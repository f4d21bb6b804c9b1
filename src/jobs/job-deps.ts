import type { WebClient } from '@slack/web-api';
import type { Redis } from 'ioredis';
import type { Catalog } from '../config/catalog-schema.ts';
import type { EngineRegistry } from '../engines/types.ts';
import type { Logger } from '../logger.ts';
import type { AuditLog } from '../store/audit-log.ts';
import type { Keyspace } from '../store/redis.ts';
import type { DiffOutputDeps } from '../diff/diff-output.ts';
import type { ParallelStore } from '../store/parallel-store.ts';
import type { BackfillStore } from '../store/backfill-store.ts';
import type { RunStore } from '../store/run-store.ts';
import type { Queues } from './queues.ts';
import type { PublishAlert } from '../alerts/sns-publisher.ts';
import type { RowCountHistory } from '../checks/row-count-history.ts';
import type { DqAlertStore } from '../store/dq-alert-store.ts';
import type { CutoverStore } from '../store/cutover-store.ts';
import type { CutoverExecStore } from '../store/cutover-exec-store.ts';
import type { StageStore } from '../store/stage-store.ts';
import type { ApiClients } from '../engines/index.ts';
import type { FailingCheck } from '../store/dq-alert-record.ts';
import type { DiffReport } from '../diff/types.ts';
import type { MeasureCost } from '../cost/types.ts';
import type { CrashPoint } from '../crash-point.ts';

/**
 * Makes samples safe to leave the engine (issue 7): PII columns masked or hashed per the
 * catalog. Every sample shown in Slack or uploaded passes through here first.
 */
export interface SampleProtector {
  checkResult(pipeline: string, f: FailingCheck): FailingCheck;
  diffReport(pipeline: string, output: string, r: DiffReport): DiffReport;
  csv(pipeline: string, output: string, csv: string): string;
  /** Quoted values in an engine's error message (DuckDB quotes the value it could not convert). */
  errorText(pipeline: string, output: string, text: string): string;
  /** Quoted values in what a run's engine says (errors, traces, log tails), with the pipeline-wide policy. */
  engineText(pipeline: string, text: string): string;
}

/** What every processor may use; built once in src/app.ts (the composition root). */
export interface JobDeps {
  runs: RunStore;
  parallels: ParallelStore;
  backfills: BackfillStore;
  dqAlerts: DqAlertStore;
  cutover: CutoverStore;
  cutoverExec: CutoverExecStore;
  stages: StageStore;
  /** Raw API clients for cutover actions; only workers have them. */
  clients?: ApiClients;
  audit: AuditLog;
  /** Row counts per period, for `row_count_change`. */
  rowCounts: RowCountHistory;
  protect: SampleProtector;
  /** Publishes to `alerts.snsTopicArn`; undefined when the catalog names no topic. */
  publishAlert?: PublishAlert;
  /** How diffs and checks reach the data: S3 access for `path:` outputs, the SQL warehouse for `table:` ones. */
  datasets: Pick<DiffOutputDeps, 'access' | 'warehouse' | 'engine'>;
  catalog: Catalog;
  engines: EngineRegistry;
  slack: WebClient;
  queues: Queues;
  redis: Redis;
  keys: Keyspace;
  logger: Logger;
  pollIntervalMs: number;
  /** Measures a run's cost (src/cost/); only workers have it. */
  measureCost?: MeasureCost;
  /** How often and how long a pending cost is looked up again (`config.cost`). */
  costTiming: { retryMs: number; waitMs: number };
  now: () => number;
  /** Test-only SIGKILL points (src/crash-point.ts); a no-op or absent in production. */
  crashPoint?: CrashPoint;
}

/** The bot's own actor id in the audit stream. */
export const BOT = { actor: 'cutover' } as const;
