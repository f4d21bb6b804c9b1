import { EMRServerlessClient } from '@aws-sdk/client-emr-serverless';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { GlueClient } from '@aws-sdk/client-glue';
import { RedshiftDataClient } from '@aws-sdk/client-redshift-data';
import { S3Client } from '@aws-sdk/client-s3';
import { SchedulerClient } from '@aws-sdk/client-scheduler';
import { SFNClient } from '@aws-sdk/client-sfn';
import { SNSClient } from '@aws-sdk/client-sns';
import { WebClient } from '@slack/web-api';
import type { Config } from '../config/load-config.ts';
import { SqlStatementClient } from '../diff/databricks/sql-statement-client.ts';
import { createApiClients, databricksTokenSource } from '../engines/index.ts';
import type { Logger } from '../logger.ts';
import type { PreflightClients } from './run-probe.ts';

/**
 * The preflight's clients, built from the same settings as the app's (endpoints, credentials,
 * base URLs), so a probe that works means the app's own call will. The SDKs do not retry
 * here: a preflight reports what it found now.
 */
export function createPreflightClients(config: Config, logger: Logger): PreflightClients {
  const { databricks, airflow, emr } = createApiClients(config, { logger });
  const tokens = databricksTokenSource(config);
  const warehouse =
    config.databricks.host && config.databricks.warehouseId && tokens
      ? new SqlStatementClient({ host: config.databricks.host, warehouseId: config.databricks.warehouseId, getToken: () => tokens.token() })
      : undefined;
  const aws = (endpoint: string | undefined) => ({ region: config.aws.region, maxAttempts: 1, ...(endpoint ? { endpoint } : {}) });
  return {
    slack: config.slack.botToken ? new WebClient(config.slack.botToken, { slackApiUrl: config.slack.apiUrl, retryConfig: { retries: 0 } }) : undefined,
    databricks,
    warehouse,
    emr,
    airflow,
    s3: new S3Client({ ...aws(config.aws.endpoints.s3), ...(config.aws.endpoints.s3 ? { forcePathStyle: true } : {}) }),
    sns: new SNSClient(aws(config.aws.endpoints.sns)),
    sfn: new SFNClient(aws(config.aws.endpoints.sfn)),
    emrServerless: new EMRServerlessClient(aws(config.aws.endpoints.emrServerless)),
    redshiftData: new RedshiftDataClient(aws(config.aws.endpoints.redshiftData)),
    glue: new GlueClient(aws(config.aws.endpoints.glue)),
    scheduler: new SchedulerClient(aws(config.aws.endpoints.scheduler)),
    eventbridge: new EventBridgeClient(aws(config.aws.endpoints.eventbridge)),
  };
}
