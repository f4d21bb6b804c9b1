import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { instrumentedFetch } from '../../../src/http/instrumented-fetch.ts';
import { createMetrics } from '../../../src/metrics.ts';

/** The fetch a client would have reached: answers 200 to anything (the wrapper only reads the status). */
const answer = async () => new Response('{}', { status: 200 });

async function operations(service: Parameters<typeof instrumentedFetch>[0], urls: string[]): Promise<string[]> {
  const metrics = createMetrics({ defaults: false });
  const f = instrumentedFetch(service, metrics, answer);
  for (const url of urls) await f(url);
  const { values } = await metrics.apiCalls.get();
  return values.map((v) => String(v.labels.operation)).sort();
}

describe('HTTP client metrics', () => {
  it('finding 16: labels calls by route template, so statement UUIDs and run ids add no series', async () => {
    const statements = Array.from({ length: 5 }, () => randomUUID());
    const sql = await operations('databricks-sql', [
      'https://w.example/api/2.0/sql/statements',
      ...statements.map((id) => `https://w.example/api/2.0/sql/statements/${id}`),
      ...statements.map((id) => `https://w.example/api/2.0/sql/statements/${id}/result/chunks/3`),
      `https://w.example/api/2.0/sql/statements/${statements[0]}/cancel`,
    ]);
    expect(sql).toEqual(['/api/2.0/sql/statements', '/api/2.0/sql/statements/{statement_id}', '/api/2.0/sql/statements/{statement_id}/cancel', '/api/2.0/sql/statements/{statement_id}/result/chunks/{chunk_index}']);

    const runs = ['r-mwqhio5f-889ab1', 'r-mwqhio5g-00aa11', 'r-mwqhio5h-ffee22'];
    const airflow = await operations('airflow', [
      ...runs.map((r) => `https://af.example/airflow/api/v1/dags/incites_monthly/dagRuns/cutover-${r}`),
      ...runs.map((r) => `https://af.example/airflow/api/v2/dags/incites_monthly/dagRuns/cutover-${r}/taskInstances/transform/logs/2?map_index=1`),
      'https://af.example/airflow/api/v1/dags/finance/dagRuns',
    ]);
    expect(airflow).toEqual([
      '/api/v1/dags/{dag_id}/dagRuns',
      '/api/v1/dags/{dag_id}/dagRuns/{dag_run_id}',
      '/api/v2/dags/{dag_id}/dagRuns/{dag_run_id}/taskInstances/{task_id}/logs/{try_number}',
    ]);
  });

  it('keeps the operation names of Databricks and Slack, and calls every unknown path `other`', async () => {
    expect(await operations('databricks', ['https://w.example/api/2.1/jobs/runs/get?run_id=12', 'https://w.example/api/2.1/jobs/run-now', 'https://w.example/api/2.1/jobs/runs/get?run_id=13'])).toEqual([
      '/api/2.1/jobs/run-now',
      '/api/2.1/jobs/runs/get',
    ]);
    expect(await operations('slack', ['http://127.0.0.1:9/api/chat.postMessage', 'https://files.slack.com/upload/v1/CwABAAAAXgsAAgAAAA', 'https://slack.com/api/usergroups.users.list'])).toEqual([
      '/api/chat.postMessage',
      '/api/usergroups.users.list',
      'other',
    ]);
  });
});
