import { AddJobFlowStepsCommand, DescribeStepCommand, EMRClient } from '@aws-sdk/client-emr';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import type { Stage } from '../../../src/config/catalog-schema.ts';
import { executeAction, executeActions, type ActionContext, type ActionProgress, type CutoverEvent } from '../../../src/cutover/index.ts';
import { AirflowClient, type AirflowApiVersion } from '../../../src/engines/airflow/index.ts';
import { DatabricksClient } from '../../../src/engines/databricks/client.ts';
import { ApiError } from '../../../src/errors.ts';
import type { RunRecord } from '../../../src/store/run-record.ts';
import { FakeAirflow } from '../../fakes/airflow-server.ts';
import { FakeDatabricks } from '../../fakes/databricks-server.ts';
import { FakeEmr } from '../../fakes/emr-server.ts';
import { pipeline } from './fixtures.ts';

const CRON = '0 0 6 2 * ?';
const TZ = 'Europe/London';
let databricks: FakeDatabricks;
let airflow: FakeAirflow;
let emr: FakeEmr;
let emrClient: EMRClient;

beforeAll(async () => {
  databricks = new FakeDatabricks();
  await databricks.start();
  airflow = await FakeAirflow.start({ dags: ['incites_monthly'] });
  emr = await FakeEmr.start();
  emrClient = new EMRClient({ endpoint: emr.url, region: 'eu-west-1', credentials: { accessKeyId: 'AKIDFAKEFAKEFAKE', secretAccessKey: 'fake' }, maxAttempts: 1 });
});
afterEach(() => {
  databricks.requests.length = 0;
  airflow.reset();
  emr.reset();
});
afterAll(async () => {
  await databricks.stop();
  await airflow.close();
  await emr.close();
  emrClient.destroy();
});

/** A stage store kept in memory: the action's contract is get, then set only on a change. */
function memoryStages(initial: Stage) {
  let stage = initial;
  const set = vi.fn(async (_p: string, s: Stage) => void (stage = s));
  return { get: async () => stage, set };
}

/** Runs by id, as the run store answers `get`: only the pipeline matters to the actions. */
const RUNS: Record<string, { pipeline: string }> = { 'r-abc-123456': { pipeline: 'incites-monthly' }, 'r-abd-654321': { pipeline: 'other-pipeline' }, 'r-abe-111111': { pipeline: 'other-pipeline' } };
const runs = { get: async (id: string) => RUNS[id] as RunRecord | undefined };

function ctx(over: Partial<ActionContext> = {}): ActionContext {
  return {
    pipeline: 'incites-monthly', step: 'switch-primary', config: pipeline(), actor: 'U0ALICE', runs,
    databricks: new DatabricksClient({ host: databricks.url, auth: { token: 'dapi-fake-token' } }),
    airflow: new AirflowClient({ baseUrl: airflow.url, token: airflow.token }),
    emr: emrClient,
    ...over,
  };
}

describe('databricks.schedule', () => {
  it('sends jobs/update with the job’s own cron and time zone and only pause_status changed', async () => {
    databricks.addJob({ jobId: 123, tasks: ['extract', 'load'], schedule: { quartz_cron_expression: CRON, timezone_id: TZ, pause_status: 'PAUSED' } });
    const before = structuredClone(databricks.jobSettings(123));
    const result = await executeAction({ 'databricks.schedule': 'UNPAUSED' }, ctx());
    expect(result).toEqual({ action: 'databricks.schedule', changed: true, text: `Databricks job 123 schedule UNPAUSED (${CRON} ${TZ})` });
    const [update] = databricks.calls('/api/2.1/jobs/update');
    expect(update?.body).toEqual({ job_id: 123, new_settings: { schedule: { quartz_cron_expression: CRON, timezone_id: TZ, pause_status: 'UNPAUSED' } } });
    expect(databricks.jobSettings(123)).toEqual({ ...before, schedule: { quartz_cron_expression: CRON, timezone_id: TZ, pause_status: 'UNPAUSED' } });
  });

  it('changes nothing when the schedule already has the wanted status (a retried step is harmless)', async () => {
    databricks.addJob({ jobId: 123, schedule: { quartz_cron_expression: CRON, timezone_id: TZ, pause_status: 'PAUSED' } });
    const result = await executeAction({ 'databricks.schedule': 'PAUSED' }, ctx());
    expect(result.changed).toBe(false);
    expect(databricks.calls('/api/2.1/jobs/update')).toEqual([]);
  });

  it('a job without a schedule is a permanent invalid_state error; a 503 stays a retryable ApiError', async () => {
    databricks.addJob({ jobId: 123 });
    const err = await executeAction({ 'databricks.schedule': 'UNPAUSED' }, ctx()).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'invalid_state', retryable: false, message: expect.stringContaining('Databricks job 123 has no schedule to unpause') });
    databricks.failNext('/api/2.1/jobs/get', [{ status: 503 }]);
    const outage = await executeAction({ 'databricks.schedule': 'UNPAUSED' }, ctx()).catch((e: unknown) => e);
    expect(outage).toBeInstanceOf(ApiError);
    expect(outage).toMatchObject({ retryable: true, statusCode: 503 });
  });

  it('says clearly when Databricks is not configured', async () => {
    await expect(executeAction({ 'databricks.schedule': 'PAUSED' }, ctx({ databricks: undefined }))).rejects.toMatchObject({ code: 'config_invalid', retryable: false });
  });
});

describe.each<AirflowApiVersion>(['v1', 'v2'])('airflow pause/unpause on /api/%s', (apiVersion) => {
  it('flips is_paused with PATCH ?update_mask=is_paused', async () => {
    airflow.addDag('incites_monthly', false);
    const client = new AirflowClient({ baseUrl: airflow.url, token: airflow.token, apiVersion });
    const paused = await executeAction({ 'airflow.pauseDag': 'incites_monthly' }, ctx({ airflow: client }));
    expect(paused).toEqual({ action: 'airflow.pauseDag', changed: true, text: 'Airflow DAG incites_monthly paused' });
    expect(airflow.dag('incites_monthly')?.is_paused).toBe(true);
    expect(airflow.requests.at(-1)).toMatchObject({ method: 'PATCH', version: apiVersion, path: '/dags/incites_monthly', body: { is_paused: true } });
    await executeAction({ 'airflow.unpauseDag': 'incites_monthly' }, ctx({ airflow: client }));
    expect(airflow.dag('incites_monthly')?.is_paused).toBe(false);
  });
});

describe('emr.cancelPending', () => {
  async function addStep(name: string): Promise<string> {
    const out = await emrClient.send(new AddJobFlowStepsCommand({ JobFlowId: 'j-ABC123', Steps: [{ Name: name, ActionOnFailure: 'CONTINUE', HadoopJarStep: { Jar: 'command-runner.jar', Args: ['true'] } }] }));
    return out.StepIds![0]!;
  }

  it('cancels only the pending steps of the pipeline’s legacy job on its cluster', async () => {
    const running = await addStep('incites');
    for (let i = 0; i < 2; i++) await emrClient.send(new DescribeStepCommand({ ClusterId: 'j-ABC123', StepId: running })); // now RUNNING
    const scheduled = await addStep('incites');
    const ours = await addStep('cutover-r-abc-123456-incites');
    const otherTeam = await addStep('finance-daily');
    const result = await executeAction({ 'emr.cancelPending': true }, ctx());
    expect(result).toEqual({ action: 'emr.cancelPending', changed: true, text: 'cancelled 2 pending EMR steps of incites on j-ABC123; left 1 pending step of other jobs alone' });
    expect(emr.calls('ListSteps')[0]?.body).toMatchObject({ ClusterId: 'j-ABC123', StepStates: ['PENDING'] });
    expect(emr.calls('CancelSteps').map((c) => c.body)).toEqual([{ ClusterId: 'j-ABC123', StepIds: [ours, scheduled], StepCancellationOption: 'SEND_INTERRUPT' }]);
    const state = (id: string) => (emr.steps('j-ABC123').find((s) => s.Id === id)?.Status as { State: string }).State;
    expect([state(running), state(scheduled), state(ours), state(otherTeam)]).toEqual(['RUNNING', 'CANCEL_PENDING', 'CANCEL_PENDING', 'PENDING']);
  });

  it('finding 18: leaves pending steps of other pipelines alone, even when their step names end like ours', async () => {
    const ours = await addStep('cutover-r-abc-123456-incites');
    const otherStep = await addStep('cutover-r-abd-654321-x-incites'); // another pipeline's step `x-incites`
    const otherRun = await addStep('cutover-r-abe-111111-incites'); // another pipeline with the same step name
    const lookalike = await addStep('nightly-cutover-r-abc-123456-incites');
    const result = await executeAction({ 'emr.cancelPending': true }, ctx());
    expect(result.text).toBe('cancelled 1 pending EMR step of incites on j-ABC123; left 3 pending steps of other jobs alone');
    expect(emr.calls('CancelSteps').map((c) => c.body)).toEqual([{ ClusterId: 'j-ABC123', StepIds: [ours], StepCancellationOption: 'SEND_INTERRUPT' }]);
    const state = (id: string) => (emr.steps('j-ABC123').find((s) => s.Id === id)?.Status as { State: string }).State;
    expect([state(otherStep), state(otherRun), state(lookalike)]).toEqual(['PENDING', 'PENDING', 'PENDING']);
  });

  it('does nothing, successfully, when nothing is pending', async () => {
    const result = await executeAction({ 'emr.cancelPending': true }, ctx());
    expect(result).toMatchObject({ changed: false, text: 'no pending EMR steps of incites on j-ABC123' });
    expect(emr.calls('CancelSteps')).toEqual([]);
  });

  it('keeps an EMR throttle retryable', async () => {
    emr.failNext({ type: 'ThrottlingException', operation: 'ListSteps' });
    await expect(executeAction({ 'emr.cancelPending': true }, ctx())).rejects.toMatchObject({ code: 'api_error', retryable: true, apiCode: 'ThrottlingException' });
  });
});

describe('sns.publish and stage', () => {
  it('publishes the event through the injected publisher', async () => {
    const sent: CutoverEvent[] = [];
    const result = await executeAction({ 'sns.publish': true }, ctx({ publish: async (e) => void sent.push(e), detail: { requestId: 'c-1' } }));
    expect(result.text).toBe('published cutover.step to SNS');
    expect(sent).toEqual([{ event: 'cutover.step', pipeline: 'incites-monthly', step: 'switch-primary', subject: 'Cutover incites-monthly: step switch-primary', detail: { actor: 'U0ALICE', requestId: 'c-1' } }]);
    await executeAction({ 'sns.publish': 'incites.live' }, ctx({ publish: async (e) => void sent.push(e) }));
    expect(sent[1]?.event).toBe('incites.live');
    await expect(executeAction({ 'sns.publish': true }, ctx())).rejects.toMatchObject({ code: 'config_invalid' });
  });

  it('sets the stage once; a repeat writes nothing', async () => {
    const stages = memoryStages('cutover');
    expect(await executeAction({ stage: 'live' }, ctx({ stages, now: () => 42 }))).toEqual({ action: 'stage', changed: true, text: 'stage cutover → live' });
    expect(stages.set).toHaveBeenCalledWith('incites-monthly', 'live', 'U0ALICE', 42);
    expect((await executeAction({ stage: 'live' }, ctx({ stages }))).changed).toBe(false);
    expect(stages.set).toHaveBeenCalledTimes(1);
  });
});

describe('executeActions', () => {
  it('runs in order from `from`, reports progress, and rethrows the first error unchanged', async () => {
    const stages = memoryStages('parallel');
    const progress: ActionProgress[] = [];
    const actions = [{ stage: 'cutover' as const }, { 'sns.publish': true as const }, { stage: 'live' as const }];
    const err = await executeActions(actions, ctx({ stages }), { onProgress: (p) => void progress.push(p) }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'config_invalid' });
    expect(progress.map((p) => [p.index, p.status])).toEqual([[0, 'running'], [0, 'done'], [1, 'running'], [1, 'failed']]);
    const rest = await executeActions(actions, ctx({ stages }), { from: 2 });
    expect(rest.map((r) => r.text)).toEqual(['stage cutover → live']);
  });
});
