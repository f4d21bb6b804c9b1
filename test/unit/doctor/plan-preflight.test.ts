import { describe, expect, it } from 'vitest';
import { parseCatalog } from '../../../src/config/load-catalog.ts';
import { loadConfig } from '../../../src/config/load-config.ts';
import { findingLine, literalPrefix, planPreflight } from '../../../src/doctor/index.ts';

const CATALOG = `
pipelines:
  incites-monthly:
    channel: C0PIPELINES
    legacy: { engine: airflow, dagId: incites_monthly }
    target: { engine: databricks, jobId: 123 }
    outputs:
      - name: insights
        key: [id]
        legacy: { path: "s3://legacy/out/insights/period={{period}}/" }
        target: { table: main.incites.insights }
      - name: authors
        key: [id]
        legacy: { table: main.legacy.authors }
        target: { table: main.incites.authors }
  orders-monthly:
    channel: C0ORDERS
    legacy: { engine: emr, clusterId: j-ABC123, step: { name: orders, args: [spark-submit, s3://jobs/orders.py] } }
    target: { engine: databricks, jobId: 123 }
    cutover:
      approvers: { users: [U0BOB] }
      steps:
        - id: switch-primary
          actions: [{ airflow.pauseDag: orders_monthly }, { sns.publish: "arn:aws:sns:us-east-1:111122223333:go-live" }]
alerts:
  snsTopicArn: arn:aws:sns:us-east-1:111122223333:data-quality-alerts
`;

describe('planPreflight', () => {
  it('names every setting the catalog needs that the environment lacks, with the pipeline and field', () => {
    const { missing } = planPreflight(parseCatalog(CATALOG), loadConfig({ env: { SLACK_BOT_TOKEN: 'xoxb-1', SLACK_SIGNING_SECRET: 's' } }));
    expect(missing.map(findingLine)).toEqual([
      'incites-monthly legacy.engine: needs AIRFLOW_URL (and AIRFLOW_TOKEN, or AIRFLOW_USERNAME and AIRFLOW_PASSWORD, unless the API is open)',
      'incites-monthly target.engine: needs DATABRICKS_HOST and DATABRICKS_TOKEN (or DATABRICKS_CLIENT_ID and DATABRICKS_CLIENT_SECRET)',
      'incites-monthly outputs.0: output "insights" reads a Unity Catalog table: needs DATABRICKS_HOST and a token',
      'incites-monthly outputs.1: output "authors" reads a Unity Catalog table: needs DATABRICKS_HOST and a token',
      'incites-monthly outputs.1: output "authors" is diffed in the SQL warehouse: needs DATABRICKS_WAREHOUSE_ID',
      'orders-monthly target.engine: needs DATABRICKS_HOST and DATABRICKS_TOKEN (or DATABRICKS_CLIENT_ID and DATABRICKS_CLIENT_SECRET)',
      'orders-monthly cutover.steps.0.actions.0: an Airflow action needs AIRFLOW_URL',
    ]);
  });

  it('reaches each target once, remembering every pipeline field that needs it', () => {
    const env = { SLACK_BOT_TOKEN: 'xoxb-1', SLACK_SIGNING_SECRET: 's', DATABRICKS_HOST: 'https://dbc-1.cloud.databricks.com', DATABRICKS_TOKEN: 'dapi-1', DATABRICKS_WAREHOUSE_ID: 'w1', AIRFLOW_URL: 'https://airflow.example.com' };
    const { missing, probes } = planPreflight(parseCatalog(CATALOG), loadConfig({ env }));
    expect(missing).toEqual([]);
    const byKind = (kind: string) => probes.filter((p) => p.target.kind === kind);
    expect(byKind('databricks.job')).toEqual([{ target: { kind: 'databricks.job', jobId: 123 }, uses: [{ pipeline: 'incites-monthly', field: 'target.jobId' }, { pipeline: 'orders-monthly', field: 'target.jobId' }] }]);
    expect(byKind('airflow.health')).toHaveLength(1);
    expect(byKind('airflow.dag').map((p) => p.target)).toEqual([{ kind: 'airflow.dag', dagId: 'incites_monthly' }, { kind: 'airflow.dag', dagId: 'orders_monthly' }]);
    expect(byKind('emr.cluster').map((p) => p.uses)).toEqual([[{ pipeline: 'orders-monthly', field: 'legacy.clusterId' }]]);
    expect(byKind('s3.prefix')).toEqual([{ target: { kind: 's3.prefix', url: 's3://legacy/out/insights/' }, uses: [{ pipeline: 'incites-monthly', field: 'outputs.0.legacy.path' }] }]);
    expect(byKind('sns.topic').map((p) => p.target)).toEqual([
      { kind: 'sns.topic', arn: 'arn:aws:sns:us-east-1:111122223333:go-live' },
      { kind: 'sns.topic', arn: 'arn:aws:sns:us-east-1:111122223333:data-quality-alerts' },
    ]);
    expect(byKind('slack.channel').map((p) => p.target)).toEqual([{ kind: 'slack.channel', channel: 'C0PIPELINES' }, { kind: 'slack.channel', channel: 'C0ORDERS' }]);
    expect(byKind('databricks.warehouse')).toHaveLength(1);
  });

  it('lists the part of an S3 path that does not depend on the period', () => {
    expect(literalPrefix('s3://lake/out/{{period}}/')).toBe('s3://lake/out/');
    expect(literalPrefix('s3://lake/out/period={{period}}/part-*.parquet')).toBe('s3://lake/out/');
    expect(literalPrefix('s3://lake/out/insights/')).toBe('s3://lake/out/insights/');
  });
});
