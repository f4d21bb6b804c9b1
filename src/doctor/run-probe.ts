import { DescribeClusterCommand, type EMRClient } from '@aws-sdk/client-emr';
import { GetApplicationCommand, type EMRServerlessClient } from '@aws-sdk/client-emr-serverless';
import { DescribeRuleCommand, type EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { GetTableCommand, type GlueClient } from '@aws-sdk/client-glue';
import { ListDatabasesCommand, type RedshiftDataClient } from '@aws-sdk/client-redshift-data';
import { GetScheduleCommand, type SchedulerClient } from '@aws-sdk/client-scheduler';
import { DescribeStateMachineCommand, type SFNClient } from '@aws-sdk/client-sfn';
import { ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { GetTopicAttributesCommand, type SNSClient } from '@aws-sdk/client-sns';
import type { WebClient } from '@slack/web-api';
import { listRuleTargets } from '../cutover/actions/eventbridge-rule.ts';
import { glueStorage } from '../datasets/glue/glue-format.ts';
import { parseS3Url } from '../datasets/s3-source.ts';
import type { SqlStatementClient } from '../diff/databricks/sql-statement-client.ts';
import type { AirflowClient } from '../engines/airflow/client.ts';
import type { DatabricksClient } from '../engines/databricks/client.ts';
import type { Target } from './types.ts';

/** The clients a preflight talks through: the same ones the app uses, built from the same config. */
export interface PreflightClients {
  slack?: WebClient;
  databricks?: DatabricksClient;
  warehouse?: SqlStatementClient;
  emr: EMRClient;
  airflow?: AirflowClient;
  s3: S3Client;
  sns: SNSClient;
  sfn?: SFNClient;
  emrServerless?: EMRServerlessClient;
  redshiftData?: RedshiftDataClient;
  glue?: GlueClient;
  scheduler?: SchedulerClient;
  eventbridge?: EventBridgeClient;
}

const DEAD_CLUSTER = new Set(['TERMINATING', 'TERMINATED', 'TERMINATED_WITH_ERRORS']);

/**
 * Reaches one target with the configured credentials. Resolves with the problem in words, or
 * undefined when the target is there and usable. Never throws: an error is the problem.
 */
export async function runProbe(target: Target, c: PreflightClients, signal: AbortSignal): Promise<string | undefined> {
  try {
    return await probe(target, c, signal);
  } catch (err) {
    return `${describeTarget(target)}: ${errorText(err)}`;
  }
}

async function probe(t: Target, c: PreflightClients, signal: AbortSignal): Promise<string | undefined> {
  switch (t.kind) {
    case 'slack.auth':
      if (!c.slack) return 'Slack: SLACK_BOT_TOKEN is not set';
      await c.slack.auth.test();
      return undefined;
    case 'slack.channel': {
      if (!c.slack) return undefined; // said once by slack.auth
      const info = await c.slack.conversations.info({ channel: t.channel });
      return info.channel?.is_archived ? `Slack channel ${t.channel} is archived` : undefined;
    }
    case 'databricks.job':
      await c.databricks!.getJob(t.jobId, signal);
      return undefined;
    case 'databricks.warehouse': {
      const w = await c.warehouse!.getWarehouse(signal);
      return w.state === 'DELETED' || w.state === 'DELETING' ? `SQL warehouse ${t.warehouseId} is ${w.state}` : undefined;
    }
    case 'emr.cluster': {
      const res = await c.emr.send(new DescribeClusterCommand({ ClusterId: t.clusterId }), { abortSignal: signal });
      const state = res.Cluster?.Status?.State;
      return state && DEAD_CLUSTER.has(state) ? `EMR cluster ${t.clusterId} is ${state}: steps cannot be added to it` : undefined;
    }
    case 'airflow.health': {
      const h = await c.airflow!.health(signal);
      const bad = Object.entries(h)
        .filter(([, v]) => typeof v === 'object' && v !== null && 'status' in v && (v as { status?: string }).status !== 'healthy')
        .map(([k, v]) => `${k} ${(v as { status?: string }).status ?? 'unknown'}`);
      return bad.length > 0 ? `Airflow is not healthy: ${bad.join(', ')}` : undefined;
    }
    case 'airflow.dag':
      await c.airflow!.getDag(t.dagId, signal);
      return undefined;
    case 's3.prefix': {
      const loc = parseS3Url(t.url);
      await c.s3.send(new ListObjectsV2Command({ Bucket: loc.bucket, Prefix: loc.prefix, MaxKeys: 1 }), { abortSignal: signal });
      return undefined;
    }
    case 'sns.topic':
      await c.sns.send(new GetTopicAttributesCommand({ TopicArn: t.arn }), { abortSignal: signal });
      return undefined;
    case 'sfn.stateMachine': {
      const m = await c.sfn!.send(new DescribeStateMachineCommand({ stateMachineArn: t.arn }), { abortSignal: signal });
      if (m.status === 'DELETING') return `Step Functions state machine ${t.arn} is being deleted`;
      return m.type === 'EXPRESS' ? `Step Functions state machine ${t.arn} is EXPRESS: Cutover runs Standard state machines (their executions can be described and stopped)` : undefined;
    }
    case 'emrServerless.application': {
      const { application } = await c.emrServerless!.send(new GetApplicationCommand({ applicationId: t.applicationId }), { abortSignal: signal });
      const state = application?.state;
      if (state === 'TERMINATED') return `EMR Serverless application ${t.applicationId} is TERMINATED: job runs cannot start on it`;
      if (state === 'STOPPED' && application?.autoStartConfiguration?.enabled === false) return `EMR Serverless application ${t.applicationId} is STOPPED and does not start by itself (autoStartConfiguration)`;
      return undefined;
    }
    case 'redshift.database': {
      const r = t.connection;
      // Signs in as the runs will (cluster or workgroup, secret or user), without running SQL.
      await c.redshiftData!.send(
        new ListDatabasesCommand({ ClusterIdentifier: r.clusterIdentifier, WorkgroupName: r.workgroupName, Database: r.database, SecretArn: r.secretArn, DbUser: r.dbUser, MaxResults: 1 }),
        { abortSignal: signal },
      );
      return undefined;
    }
    case 'glue.table': {
      const { Table } = await c.glue!.send(new GetTableCommand({ DatabaseName: t.database, Name: t.table, CatalogId: t.catalogId }), { abortSignal: signal });
      // The table is there; its format must be one Cutover reads (ORC, Avro, Iceberg are refused when the diff runs).
      try {
        if (Table) glueStorage(Table, `${t.database}.${t.table}`);
        return undefined;
      } catch (err) {
        return (err as Error).message;
      }
    }
    case 'scheduler.schedule':
      // Read only: the action's UpdateSchedule needs the schedule to exist.
      await c.scheduler!.send(new GetScheduleCommand({ Name: t.name, GroupName: t.group }), { abortSignal: signal });
      return undefined;
    case 'events.rule': {
      const rule = await c.eventbridge!.send(new DescribeRuleCommand({ Name: t.name, EventBusName: t.eventBus }), { abortSignal: signal });
      // EventBridge refuses EnableRule / DisableRule on a rule another service manages.
      if (rule.ManagedBy) return `EventBridge rule ${t.name} is managed by ${rule.ManagedBy}: Cutover cannot enable or disable it`;
      if (!t.redshiftQuery) return undefined;
      const targets = await listRuleTargets(c.eventbridge!, t.name, t.eventBus, signal);
      if (targets.some((x) => x.RedshiftDataParameters)) return undefined;
      return `EventBridge rule ${t.name} runs no Redshift query (its targets: ${targets.map((x) => x.Arn).join(', ') || 'none'}): name the scheduled query's rule`;
    }
  }
}

/** What was being reached, in the words of the service and call. */
export function describeTarget(t: Target): string {
  switch (t.kind) {
    case 'slack.auth':
      return 'Slack auth.test';
    case 'slack.channel':
      return `Slack conversations.info ${t.channel}`;
    case 'databricks.job':
      return `Databricks jobs/get ${t.jobId}`;
    case 'databricks.warehouse':
      return `Databricks SQL warehouse ${t.warehouseId}`;
    case 'emr.cluster':
      return `EMR DescribeCluster ${t.clusterId}`;
    case 'airflow.health':
      return 'Airflow health';
    case 'airflow.dag':
      return `Airflow DAG ${t.dagId}`;
    case 's3.prefix':
      return `S3 list ${t.url}`;
    case 'sns.topic':
      return `SNS GetTopicAttributes ${t.arn}`;
    case 'sfn.stateMachine':
      return `Step Functions DescribeStateMachine ${t.arn}`;
    case 'emrServerless.application':
      return `EMR Serverless GetApplication ${t.applicationId}`;
    case 'redshift.database':
      return `Redshift Data ListDatabases on ${t.connection.clusterIdentifier ?? t.connection.workgroupName}/${t.connection.database}`;
    case 'glue.table':
      return `Glue GetTable ${t.database}.${t.table}`;
    case 'scheduler.schedule':
      return `EventBridge Scheduler GetSchedule ${t.group}/${t.name}`;
    case 'events.rule':
      return `EventBridge DescribeRule ${t.name}${t.eventBus ? ` on ${t.eventBus}` : ''}`;
  }
}

/** An SDK or API error as one line: its code (Slack `error`, AWS `name`, Databricks `apiCode`) and message. */
function errorText(err: unknown): string {
  const e = err as { data?: { error?: string }; name?: string; apiCode?: string; message?: string };
  // Slack's message is only "An API error occurred: <code>": the code says it all.
  if (e.data?.error) return e.data.error;
  const code = e.apiCode ?? (e.name && e.name !== 'Error' ? e.name : undefined);
  const message = (e.message ?? String(err)).split('\n')[0]!.slice(0, 300);
  return code && !message.includes(code) ? `${code}: ${message}` : message;
}
