/**
 * The preflight (`cutover doctor`, start-up, `/readyz`, issue 15): everything the catalog uses
 * is configured and reachable with the credentials given. Each problem names the pipeline and
 * the catalog field (or the environment variable) that needs it.
 */

/** Something outside Cutover the catalog relies on, checked once however many pipelines use it. */
export type Target =
  | { kind: 'slack.auth' }
  | { kind: 'slack.channel'; channel: string }
  | { kind: 'databricks.job'; jobId: number }
  | { kind: 'databricks.warehouse'; warehouseId: string }
  | { kind: 'emr.cluster'; clusterId: string }
  | { kind: 'airflow.health' }
  | { kind: 'airflow.dag'; dagId: string }
  | { kind: 's3.prefix'; url: string }
  | { kind: 'sns.topic'; arn: string }
  | { kind: 'sfn.stateMachine'; arn: string }
  | { kind: 'emrServerless.application'; applicationId: string }
  | { kind: 'redshift.database'; connection: RedshiftConnection }
  | { kind: 'glue.table'; database: string; table: string; catalogId?: string }
  | { kind: 'scheduler.schedule'; name: string; group: string }
  /** A rule an `events.rule` action names, or (`redshiftQuery`) a `redshift.scheduledQuery`'s rule. */
  | { kind: 'events.rule'; name: string; eventBus?: string; redshiftQuery: boolean };

/** Where a Redshift statement runs and as whom (the engine's or a `redshift:` dataset's settings). */
export interface RedshiftConnection {
  clusterIdentifier?: string;
  workgroupName?: string;
  database: string;
  secretArn?: string;
  dbUser?: string;
}

/** Who needs a target: a pipeline's catalog field, or a deployment-wide setting. */
export interface Use {
  pipeline?: string;
  /** A catalog path (`target.jobId`, `outputs.0.legacy.path`) or an environment variable. */
  field: string;
}

export interface Probe {
  target: Target;
  uses: Use[];
}

export interface Finding extends Use {
  problem: string;
}

export interface PreflightReport {
  /** True when nothing was found wrong. */
  ok: boolean;
  findings: Finding[];
  /** Targets checked (reachability), besides the configuration itself. */
  checked: number;
  at: number;
}
