import type { RunRecord } from '../../../src/store/run-record.ts';
import { blockProblems } from '../../fakes/slack-server-wire.ts';
import type { SlackMessage } from '../../../src/slack/index.ts';

/** 2024-05-01T00:00:00Z: every run in these tests starts from it, so durations are exact. */
export const T0 = Date.UTC(2024, 4, 1);

/** A Databricks run of incites-monthly; override what a test is about. */
export function makeRun(overrides: Partial<RunRecord> = {}): RunRecord {
  return {
    v: 1,
    id: 'r-m3k9x2-4f7a',
    pipeline: 'incites-monthly',
    period: '2024-05',
    engine: 'databricks',
    side: 'target',
    env: 'prod',
    params: {},
    requestedBy: 'U0ALICE',
    channel: 'C0PIPELINES',
    state: 'running',
    stateMessage: 'RUNNING',
    externalId: '987654',
    url: 'https://dbc-1.cloud.databricks.com/#job/123/run/987654',
    tasks: [
      { key: 'extract', state: 'succeeded', startedAt: T0 + 5_000, endedAt: T0 + 65_000 },
      { key: 'transform', state: 'running', startedAt: T0 + 65_000 },
      { key: 'load', state: 'queued' },
    ],
    failures: [],
    createdAt: T0,
    startedAt: T0 + 5_000,
    updatedAt: T0 + 70_000,
    version: 3,
    repairs: 0,
    ...overrides,
  };
}

/** A failed run with one failing task, as the failure alert sees it. */
export function makeFailedRun(overrides: Partial<RunRecord> = {}): RunRecord {
  return makeRun({
    state: 'failed',
    stateMessage: 'TERMINATED/FAILED: Task transform failed with message: Workload failed',
    endedAt: T0 + 125_000,
    tasks: [
      { key: 'extract', state: 'succeeded', startedAt: T0 + 5_000, endedAt: T0 + 65_000 },
      { key: 'transform', state: 'failed', startedAt: T0 + 65_000, endedAt: T0 + 125_000 },
    ],
    failures: [
      {
        task: 'transform',
        error: 'org.apache.spark.SparkException: Job aborted due to stage failure: <lambda> & friends',
        trace: Array.from({ length: 40 }, (_, i) => `  at com.example.Transform.step${i}(Transform.scala:${i + 1})`).join('\n'),
        logUrl: 'https://dbc-1.cloud.databricks.com/#job/123/run/987655/log',
      },
    ],
    ...overrides,
  });
}

/** Every text of the blocks as one string, for "is it shown somewhere" assertions. */
export function allText(message: { blocks: unknown[] }): string {
  return JSON.stringify(message.blocks);
}

/**
 * Limit violations, checked by the fake Slack's validator (written separately from
 * src/slack/limits.ts, so a wrong constant there cannot hide a bug) plus the fallback text.
 */
export function limitProblems(message: SlackMessage, maxBlocks = 50): string[] {
  const problems = blockProblems(message.blocks, maxBlocks);
  if (message.text.length > 3000) problems.push(`fallback text is ${message.text.length} characters`);
  return problems;
}
