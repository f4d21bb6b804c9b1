import type { Catalog } from '../config/catalog-schema.ts';
import type { CrashPoint } from '../crash-point.ts';
import type { Permissions } from '../handlers/permissions.ts';
import type { Queues } from '../jobs/queues.ts';
import type { Logger } from '../logger.ts';
import type { AuditLog } from '../store/audit-log.ts';
import type { DqAlertStore } from '../store/dq-alert-store.ts';
import type { CutoverStore } from '../store/cutover-store.ts';
import type { Permalink } from '../cutover/parallel-links.ts';
import type { ParallelStore } from '../store/parallel-store.ts';
import type { BackfillStore } from '../store/backfill-store.ts';
import type { RunStore } from '../store/run-store.ts';
import type { StageStore } from '../store/stage-store.ts';

/** What subcommands may use. They read and write Redis and enqueue jobs; they never call Databricks or AWS. */
export interface CommandDeps {
  catalog: Catalog;
  runs: RunStore;
  parallels: ParallelStore;
  backfills: BackfillStore;
  dqAlerts: DqAlertStore;
  cutover: CutoverStore;
  audit: AuditLog;
  stages: StageStore;
  queues: Queues;
  permissions: Permissions;
  logger: Logger;
  /** A message's permalink (Slack `chat.getPermalink`), or undefined when Slack will not give one. */
  permalink: Permalink;
  now: () => number;
  /** `/pipeline diff`s one person may have running at once (`CUTOVER_MAX_DIFFS_PER_USER`); default 2. */
  maxDiffsPerUser?: number;
  /** Test-only crash point (src/crash-point.ts); absent in tests that call commands directly. */
  crashPoint?: CrashPoint;
}

/** Who typed the command, and where. */
export interface Invoker {
  userId: string;
  userName?: string;
  channelId: string;
}

/** A reply to the person who typed the command (sent through `respond`, ephemeral unless said). */
export interface Reply {
  text: string;
  blocks?: unknown[];
  response_type?: 'ephemeral' | 'in_channel';
}

export const ephemeral = (text: string, blocks?: unknown[]): Reply => ({ response_type: 'ephemeral', text, ...(blocks ? { blocks } : {}) });
