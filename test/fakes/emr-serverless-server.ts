import { randomBytes } from 'node:crypto';
import { AwsError, AwsFakeServer, canonicalJson, checkString, required, type Route } from './aws-fake-server.ts';

/**
 * A fake Amazon EMR Serverless (botocore `emr-serverless/2021-07-13`: REST-JSON) for job runs:
 * `POST /applications/{applicationId}/jobruns` (StartJobRun), `GET …/jobruns/{jobRunId}`
 * (GetJobRun), `DELETE …/jobruns/{jobRunId}` (CancelJobRun), and `GET /applications/{applicationId}`
 * (GetApplication, for `cutover doctor`). It refuses what the service does:
 * an unknown application (`ResourceNotFoundException`, 404), a missing `executionRoleArn` or
 * `jobDriver`, a `clientToken` outside 1–64 `[A-Za-z0-9._-]`, a `jobDriver` with other than one
 * member (`ValidationException`), and a `clientToken` used before with other parameters
 * (`ConflictException`, 409). The same token with the same parameters answers the first job run.
 * Job runs go SUBMITTED → PENDING → SCHEDULED → RUNNING → the application's scripted outcome, one
 * step per GetJobRun.
 */

export interface ApplicationScript {
  outcome?: 'succeed' | 'fail';
  stateDetails?: string;
  /** GetJobRun calls until the job run ends. Default 4. */
  pollsToFinish?: number;
  /** What GetApplication says: its state (default CREATED) and whether it starts by itself (default true). */
  state?: 'CREATING' | 'CREATED' | 'STARTING' | 'STARTED' | 'STOPPING' | 'STOPPED' | 'TERMINATED';
  autoStart?: boolean;
}

interface JobRun {
  applicationId: string;
  jobRunId: string;
  name?: string;
  token: string;
  request: string;
  body: Record<string, unknown>;
  state: string;
  stateDetails: string;
  polls: number;
  created: Date;
  updated: Date;
  started?: Date;
  ended?: Date;
}

const PROGRESS = ['SUBMITTED', 'PENDING', 'SCHEDULED', 'RUNNING'];
const TERMINAL = new Set(['SUCCESS', 'FAILED', 'CANCELLED']);

export class FakeEmrServerless extends AwsFakeServer {
  private apps = new Map<string, ApplicationScript>();
  private runs = new Map<string, JobRun>();

  constructor() {
    super({ kind: 'rest-json', route: routeOf });
  }

  /** Creates (or rescripts) an application; returns its id. */
  addApplication(applicationId: string, script: ApplicationScript = {}): string {
    this.apps.set(applicationId, script);
    return applicationId;
  }

  jobRuns(applicationId?: string): Array<Pick<JobRun, 'applicationId' | 'jobRunId' | 'state' | 'body'>> {
    return [...this.runs.values()].filter((r) => !applicationId || r.applicationId === applicationId).map(({ applicationId: a, jobRunId, state, body }) => ({ applicationId: a, jobRunId, state, body }));
  }

  protected dispatch(operation: string, input: Record<string, unknown>): unknown {
    switch (operation) {
      case 'StartJobRun':
        return this.startJobRun(input);
      case 'GetApplication': {
        const id = input.applicationId as string;
        checkString('applicationId', id, { min: 1, max: 64, pattern: /^[0-9a-z]+$/ });
        const app = this.apps.get(id);
        if (!app) throw new AwsError('ResourceNotFoundException', `Application ${id} does not exist`, 404);
        const at = new Date('2026-01-01T00:00:00Z');
        return {
          application: {
            applicationId: id,
            name: id,
            arn: `arn:aws:emr-serverless:us-east-1:111122223333:/applications/${id}`,
            releaseLabel: 'emr-7.2.0',
            type: 'Spark',
            state: app.state ?? 'CREATED',
            createdAt: at,
            updatedAt: at,
            autoStartConfiguration: { enabled: app.autoStart ?? true },
            autoStopConfiguration: { enabled: true, idleTimeoutMinutes: 15 },
          },
        };
      }
      case 'GetJobRun': {
        const run = this.run(input);
        this.advance(run);
        return { jobRun: this.wire(run) };
      }
      case 'CancelJobRun': {
        const run = this.run(input);
        if (TERMINAL.has(run.state)) throw new AwsError('ValidationException', `Job run ${run.jobRunId} is in a terminal state ${run.state}`);
        Object.assign(run, { state: 'CANCELLING', updated: new Date() });
        return { applicationId: run.applicationId, jobRunId: run.jobRunId };
      }
      default:
        throw new AwsError('UnknownOperationException', `${operation} is not supported by the fake`, 404);
    }
  }

  private startJobRun(input: Record<string, unknown>): unknown {
    const applicationId = this.app(input.applicationId);
    const token = required<string>(input, 'clientToken');
    checkString('clientToken', token, { min: 1, max: 64, pattern: /^[A-Za-z0-9._-]+$/ });
    const role = required<string>(input, 'executionRoleArn');
    checkString('executionRoleArn', role, { min: 20, max: 2048, pattern: /^arn:aws[\w-]*:iam::\d{12}:role\/[\w+=,.@/-]+$/ });
    const driver = required<Record<string, unknown>>(input, 'jobDriver');
    if (Object.keys(driver).length !== 1) throw new AwsError('ValidationException', 'jobDriver must have exactly one of sparkSubmit or hive');
    const spark = driver.sparkSubmit as Record<string, unknown> | undefined;
    if (spark) {
      checkString('jobDriver.sparkSubmit.entryPoint', required(spark, 'entryPoint'), { min: 1, max: 4096 });
      checkString('jobDriver.sparkSubmit.sparkSubmitParameters', spark.sparkSubmitParameters, { min: 1, max: 102400 });
    }
    checkString('name', input.name, { min: 0, max: 256 });
    const { clientToken: _t, applicationId: _a, ...params } = input;
    const request = canonicalJson(params);
    const existing = [...this.runs.values()].find((r) => r.applicationId === applicationId && r.token === token);
    if (existing) {
      if (existing.request !== request) throw new AwsError('ConflictException', `clientToken ${token} was used before with different parameters`, 409);
      return this.started(existing);
    }
    const now = new Date();
    const run: JobRun = { applicationId, jobRunId: randomBytes(8).toString('hex'), name: input.name as string | undefined, token, request, body: input, state: 'SUBMITTED', stateDetails: '', polls: 0, created: now, updated: now };
    this.runs.set(run.jobRunId, run);
    return this.started(run);
  }

  private started(run: JobRun): unknown {
    return { applicationId: run.applicationId, jobRunId: run.jobRunId, arn: arnOf(run) };
  }

  private advance(run: JobRun): void {
    if (TERMINAL.has(run.state)) return;
    const now = new Date();
    if (run.state === 'CANCELLING') return void Object.assign(run, { state: 'CANCELLED', stateDetails: 'Job run was cancelled by the user', updated: now, ended: now });
    const script = this.apps.get(run.applicationId) ?? {};
    run.polls++;
    if (run.polls >= (script.pollsToFinish ?? 4)) {
      const failed = script.outcome === 'fail';
      const details = failed ? (script.stateDetails ?? 'Job failed, please check complete logs in configured logging destination.') : '';
      Object.assign(run, { state: failed ? 'FAILED' : 'SUCCESS', stateDetails: details, started: run.started ?? now, ended: now, updated: now });
    } else {
      const state = PROGRESS[Math.min(run.polls, PROGRESS.length - 1)]!;
      Object.assign(run, { state, updated: now, started: state === 'RUNNING' ? (run.started ?? now) : run.started });
    }
  }

  private wire(run: JobRun): Record<string, unknown> {
    const b = run.body;
    return {
      applicationId: run.applicationId,
      jobRunId: run.jobRunId,
      name: run.name,
      arn: arnOf(run),
      createdBy: 'arn:aws:iam::111122223333:role/cutover',
      createdAt: run.created,
      updatedAt: run.updated,
      executionRole: b.executionRoleArn,
      state: run.state,
      stateDetails: run.stateDetails,
      releaseLabel: 'emr-7.5.0',
      configurationOverrides: b.configurationOverrides,
      jobDriver: b.jobDriver,
      tags: b.tags ?? {},
      executionTimeoutMinutes: b.executionTimeoutMinutes ?? 720,
      startedAt: run.started,
      endedAt: run.ended,
      mode: 'BATCH',
      attempt: 1,
    };
  }

  private app(id: unknown): string {
    if (typeof id !== 'string' || !this.apps.has(id)) throw new AwsError('ResourceNotFoundException', `Application ${String(id)} does not exist`, 404);
    return id;
  }

  private run(input: Record<string, unknown>): JobRun {
    const applicationId = this.app(input.applicationId);
    const run = this.runs.get(String(input.jobRunId));
    if (!run || run.applicationId !== applicationId) throw new AwsError('ResourceNotFoundException', `Job run ${String(input.jobRunId)} does not exist`, 404);
    return run;
  }
}

function routeOf(method: string, url: URL, body: Record<string, unknown>): Route | undefined {
  const app = /^\/applications\/([^/]+)$/.exec(url.pathname);
  if (app && method === 'GET') return { operation: 'GetApplication', input: { applicationId: decodeURIComponent(app[1]!) } };
  const m = /^\/applications\/([^/]+)\/jobruns(?:\/([^/]+))?$/.exec(url.pathname);
  if (!m) return undefined;
  const applicationId = decodeURIComponent(m[1]!);
  const jobRunId = m[2] === undefined ? undefined : decodeURIComponent(m[2]);
  if (method === 'POST' && !jobRunId) return { operation: 'StartJobRun', input: { ...body, applicationId } };
  if (method === 'GET' && jobRunId) return { operation: 'GetJobRun', input: { applicationId, jobRunId } };
  if (method === 'DELETE' && jobRunId) return { operation: 'CancelJobRun', input: { applicationId, jobRunId } };
  return undefined;
}

const arnOf = (run: JobRun) => `arn:aws:emr-serverless:us-east-1:111122223333:/applications/${run.applicationId}/jobruns/${run.jobRunId}`;
