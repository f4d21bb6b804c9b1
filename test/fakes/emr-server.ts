import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A fake Amazon EMR on 127.0.0.1 speaking the AWS JSON 1.1 protocol the SDK uses
 * (botocore `emr/2009-03-31/service-2.json`: protocol json, targetPrefix ElasticMapReduce):
 * `POST /` with `X-Amz-Target: ElasticMapReduce.<Operation>`, timestamps as epoch seconds,
 * errors as `{"__type", "message"}`. SigV4 signatures are accepted unverified, but an
 * `Authorization` header must be present, as with the real endpoint.
 *
 * Steps move PENDING → RUNNING → scripted outcome as DescribeStep is called, or as a ListSteps
 * of running steps (a batched poll) lists them. Other processes
 * drive it over `GET /__fake/state` and `POST /__fake/control` (a `FakeEmrControl` body).
 */

export interface StepScript {
  outcome: 'succeed' | 'fail' | 'interrupt';
  /** The DescribeStep call (1-based) that first returns the terminal state. Default 3: PENDING, RUNNING, outcome. */
  afterPolls?: number;
  failure?: { Reason?: string; Message?: string; LogFile?: string };
}

export interface Fault {
  /** The AWS error code, sent as `__type`, e.g. ThrottlingException, ValidationException, InternalServerError. */
  type: string;
  status?: number;
  message?: string;
  /** How many matching requests fail. Default 1. */
  times?: number;
  /** Only this operation (e.g. AddJobFlowSteps) fails; default any. */
  operation?: string;
}

export type FakeEmrControl =
  | ({ action: 'script'; step: string } & StepScript)
  | ({ action: 'failNext' } & Fault)
  | { action: 'seedSteps'; clusterId: string; count: number; ageMs?: number; namePrefix?: string }
  | { action: 'reset' };

/** An instance of a cluster as ListInstances reports it (groups or fleets); times in epoch ms. */
export interface FakeInstance {
  id: string;
  type: string;
  created: number;
  ready?: number;
  ended?: number;
  groupId?: string;
  fleetId?: string;
  market?: 'ON_DEMAND' | 'SPOT';
}

export interface RecordedRequest {
  operation: string;
  body: Record<string, unknown>;
  authorization?: string;
}

interface FakeStep {
  Id: string;
  Name: string;
  Config: { Jar: string; Args: string[]; MainClass?: string; Properties: Record<string, string> };
  ActionOnFailure: string;
  ExecutionRoleArn?: string;
  state: string;
  polls: number;
  created: number;
  started?: number;
  ended?: number;
}

const TERMINAL = new Set(['COMPLETED', 'CANCELLED', 'FAILED', 'INTERRUPTED']);
const ACTIONS = new Set(['TERMINATE_JOB_FLOW', 'TERMINATE_CLUSTER', 'CANCEL_AND_WAIT', 'CONTINUE']);
const PAGE = 50;

class AwsError extends Error {
  constructor(
    readonly type: string,
    message: string,
    readonly status = 400,
  ) {
    super(message);
  }
}

export class FakeEmr {
  readonly requests: RecordedRequest[] = [];
  private clusters = new Map<string, FakeStep[]>();
  private instances = new Map<string, FakeInstance[]>();
  private scripts = new Map<string, StepScript>();
  private faults: Fault[] = [];
  private seq = 0;

  private constructor(
    private readonly server: Server,
    readonly url: string,
    private readonly allowedClusters?: ReadonlySet<string>,
  ) {}

  /** Starts on 127.0.0.1 (random port unless `port`); `clusters` restricts which cluster ids exist. */
  static async start(opts: { port?: number; clusters?: string[] } = {}): Promise<FakeEmr> {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(opts.port ?? 0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    const fake = new FakeEmr(server, `http://127.0.0.1:${port}`, opts.clusters ? new Set(opts.clusters) : undefined);
    server.on('request', (req: IncomingMessage, res: ServerResponse) => void fake.handle(req, res));
    return fake;
  }

  /** Scripts the outcome of steps whose name is `step` or ends with `-<step>` (our `cutover-<runId>-<name>`). */
  script(step: string, script: StepScript): void {
    this.scripts.set(step, script);
  }

  /** The instances ListInstances returns for a cluster (their timelines make a shared cluster's cost). */
  setInstances(clusterId: string, instances: FakeInstance[]): void {
    this.instances.set(clusterId, instances);
  }

  failNext(fault: Fault): void {
    this.faults.push({ times: 1, ...fault });
  }

  /** Adds `count` completed steps created `ageMs` ago (history to page through). */
  seedSteps(clusterId: string, count: number, { ageMs = 0, namePrefix = 'seeded' } = {}): void {
    const created = Date.now() - ageMs;
    for (let i = 0; i < count; i++) {
      const step = this.newStep(`${namePrefix}-${i}`, { Jar: 'command-runner.jar', Args: ['true'] }, 'CONTINUE');
      Object.assign(step, { state: 'COMPLETED', created: created + i, started: created + i, ended: created + i });
      this.stepsOf(clusterId).push(step);
    }
    this.stepsOf(clusterId).sort((a, b) => a.created - b.created);
  }

  /** Steps of a cluster, newest first, in ListSteps' wire shape. */
  steps(clusterId: string): Record<string, unknown>[] {
    return [...this.stepsOf(clusterId)].reverse().map((s) => this.wire(clusterId, s));
  }

  calls(operation: string): RecordedRequest[] {
    return this.requests.filter((r) => r.operation === operation);
  }

  state(): { clusters: Record<string, Record<string, unknown>[]>; requests: RecordedRequest[] } {
    const clusters = Object.fromEntries([...this.clusters.keys()].map((id) => [id, this.steps(id)]));
    return { clusters, requests: this.requests };
  }

  control(cmd: FakeEmrControl): void {
    if (cmd.action === 'script') this.script(cmd.step, cmd);
    else if (cmd.action === 'failNext') this.failNext(cmd);
    else if (cmd.action === 'seedSteps') this.seedSteps(cmd.clusterId, cmd.count, cmd);
    else if (cmd.action === 'reset') this.reset();
    else throw new Error(`unknown action ${(cmd as { action?: string }).action}`);
  }

  reset(): void {
    this.requests.length = 0;
    this.clusters.clear();
    this.instances.clear();
    this.scripts.clear();
    this.faults = [];
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const raw = await readBody(req);
    const send = (status: number, body: unknown, type = 'application/x-amz-json-1.1') => {
      res.writeHead(status, { 'content-type': type, 'x-amzn-requestid': randomUUID() });
      res.end(JSON.stringify(body));
    };
    try {
      if (req.url === '/__fake/state' && req.method === 'GET') return send(200, this.state(), 'application/json');
      if (req.url === '/__fake/control' && req.method === 'POST') {
        this.control(JSON.parse(raw) as FakeEmrControl);
        return send(200, { ok: true }, 'application/json');
      }
      if (req.method !== 'POST' || !req.url?.startsWith('/')) throw new AwsError('UnknownOperationException', 'POST / only', 404);
      if (!req.headers.authorization) throw new AwsError('MissingAuthenticationTokenException', 'Missing Authentication Token', 403);
      const target = String(req.headers['x-amz-target'] ?? '');
      if (!target.startsWith('ElasticMapReduce.')) throw new AwsError('UnknownOperationException', `bad X-Amz-Target: ${target}`);
      if (!String(req.headers['content-type']).startsWith('application/x-amz-json-1.1')) {
        throw new AwsError('SerializationException', 'expected application/x-amz-json-1.1');
      }
      const operation = target.slice('ElasticMapReduce.'.length);
      const body = (raw ? JSON.parse(raw) : {}) as Record<string, unknown>;
      this.requests.push({ operation, body, authorization: req.headers.authorization });
      this.injectFault(operation);
      send(200, this.dispatch(operation, body));
    } catch (err) {
      if (err instanceof AwsError) return send(err.status, { __type: err.type, message: err.message });
      send(500, { __type: 'InternalServerError', message: String(err) });
    }
  }

  private injectFault(operation: string): void {
    const fault = this.faults.find((f) => !f.operation || f.operation === operation);
    if (!fault) return;
    fault.times = (fault.times ?? 1) - 1;
    if (fault.times <= 0) this.faults.splice(this.faults.indexOf(fault), 1);
    throw new AwsError(fault.type, fault.message ?? `injected ${fault.type}`, fault.status ?? 400);
  }

  private dispatch(operation: string, body: Record<string, unknown>): unknown {
    switch (operation) {
      case 'AddJobFlowSteps':
        return this.addSteps(this.cluster(body.JobFlowId), body);
      case 'ListSteps':
        return this.listSteps(this.cluster(body.ClusterId), body);
      case 'DescribeStep': {
        const clusterId = this.cluster(body.ClusterId);
        const step = this.step(clusterId, body.StepId);
        this.advance(step);
        return { Step: this.wire(clusterId, step) };
      }
      case 'CancelSteps':
        return this.cancelSteps(this.cluster(body.ClusterId), body);
      case 'ListInstances':
        return this.listInstances(this.cluster(body.ClusterId), body);
      case 'DescribeCluster': {
        const id = this.cluster(body.ClusterId);
        const state = this.terminated.has(id) ? 'TERMINATED' : 'WAITING';
        return { Cluster: { Id: id, Name: `fake ${id}`, Status: { State: state, StateChangeReason: {}, Timeline: { CreationDateTime: 1_700_000_000 } } } };
      }
      default:
        throw new AwsError('UnknownOperationException', `${operation} is not supported by the fake`);
    }
  }

  private addSteps(clusterId: string, body: Record<string, unknown>): unknown {
    const configs = body.Steps as { Name?: string; ActionOnFailure?: string; HadoopJarStep?: FakeStep['Config'] }[] | undefined;
    if (!Array.isArray(configs) || configs.length === 0) throw new AwsError('ValidationException', 'Steps is required');
    const created = configs.map((c) => {
      const jar = c.HadoopJarStep;
      if (!c.Name || c.Name.length > 256) throw new AwsError('ValidationException', 'Step Name must be 1-256 characters');
      if (!jar?.Jar) throw new AwsError('ValidationException', 'HadoopJarStep.Jar is required');
      const size = [jar.Jar, jar.MainClass ?? '', ...(jar.Args ?? [])].join('').length;
      if (size > 10_240) throw new AwsError('ValidationException', 'HadoopJarStep strings exceed 10240 characters');
      const action = c.ActionOnFailure ?? 'TERMINATE_CLUSTER';
      if (!ACTIONS.has(action)) throw new AwsError('ValidationException', `invalid ActionOnFailure ${action}`);
      const step = this.newStep(c.Name, jar, action, body.ExecutionRoleArn as string | undefined);
      this.stepsOf(clusterId).push(step);
      return step.Id;
    });
    return { StepIds: created };
  }

  private listSteps(clusterId: string, body: Record<string, unknown>): unknown {
    const states = body.StepStates as string[] | undefined;
    const ids = body.StepIds as string[] | undefined;
    // A listing of running steps (a batched poll asks for every active state) observes each step
    // it would show, as a DescribeStep does: it moves on, and one that has just ended drops out of
    // the answer. Only its first page does, so later pages see the same states. A listing of
    // PENDING steps alone (`emr.cancelPending`) observes nothing.
    if (states?.includes('RUNNING') && !body.Marker) {
      for (const step of this.stepsOf(clusterId)) if (states.includes(step.state) && (!ids?.length || ids.includes(step.Id))) this.advance(step);
    }
    const all = this.steps(clusterId).filter(
      (s) => (!states?.length || states.includes((s.Status as { State: string }).State)) && (!ids?.length || ids.includes(s.Id as string)),
    );
    const offset = body.Marker ? Number(Buffer.from(String(body.Marker), 'base64url').toString()) : 0;
    const next = offset + PAGE;
    return { Steps: all.slice(offset, next), Marker: next < all.length ? Buffer.from(String(next)).toString('base64url') : undefined };
  }

  /** Pages of 50 like ListSteps; `InstanceStates` filters on the derived state. */
  private listInstances(clusterId: string, body: Record<string, unknown>): unknown {
    const secs = (ms: number | undefined) => (ms === undefined ? undefined : ms / 1000);
    const states = body.InstanceStates as string[] | undefined;
    const all = (this.instances.get(clusterId) ?? [])
      .map((i) => ({
        Id: i.id,
        Ec2InstanceId: `i-${i.id.toLowerCase()}`,
        InstanceType: i.type,
        Market: i.market ?? 'ON_DEMAND',
        ...(i.fleetId ? { InstanceFleetId: i.fleetId } : { InstanceGroupId: i.groupId ?? 'ig-CORE' }),
        Status: {
          State: i.ended !== undefined ? 'TERMINATED' : i.ready !== undefined ? 'RUNNING' : 'PROVISIONING',
          Timeline: { CreationDateTime: secs(i.created), ReadyDateTime: secs(i.ready), EndDateTime: secs(i.ended) },
        },
      }))
      .filter((i) => !states?.length || states.includes(i.Status.State));
    const offset = body.Marker ? Number(Buffer.from(String(body.Marker), 'base64url').toString()) : 0;
    const next = offset + PAGE;
    return { Instances: all.slice(offset, next), Marker: next < all.length ? Buffer.from(String(next)).toString('base64url') : undefined };
  }

  private cancelSteps(clusterId: string, body: Record<string, unknown>): unknown {
    const ids = (body.StepIds as string[] | undefined) ?? [];
    return {
      CancelStepsInfoList: ids.map((id) => {
        const step = this.step(clusterId, id);
        if (TERMINAL.has(step.state)) return { StepId: id, Status: 'FAILED', Reason: `Step is ${step.state} and cannot be cancelled` };
        step.state = 'CANCEL_PENDING';
        return { StepId: id, Status: 'SUBMITTED' };
      }),
    };
  }

  private advance(step: FakeStep): void {
    if (TERMINAL.has(step.state)) return;
    const now = Date.now();
    if (step.state === 'CANCEL_PENDING') return void Object.assign(step, { state: 'CANCELLED', ended: now });
    step.polls++;
    const script = this.scriptFor(step.Name);
    if (step.polls >= (script.afterPolls ?? 3)) {
      const state = { succeed: 'COMPLETED', fail: 'FAILED', interrupt: 'INTERRUPTED' }[script.outcome];
      Object.assign(step, { state, started: step.started ?? now, ended: now });
    } else if (step.polls > 1) {
      Object.assign(step, { state: 'RUNNING', started: step.started ?? now });
    }
  }

  private wire(clusterId: string, s: FakeStep): Record<string, unknown> {
    const secs = (ms: number | undefined) => (ms === undefined ? undefined : ms / 1000);
    const script = this.scriptFor(s.Name);
    const failure =
      s.state === 'FAILED'
        ? {
            Reason: 'Unknown Error.',
            Message: 'Exception in thread "main" org.apache.spark.SparkException: Job aborted.',
            LogFile: `s3://aws-logs-111122223333/elasticmapreduce/${clusterId}/steps/${s.Id}/stderr.gz`,
            ...script.failure,
          }
        : undefined;
    return {
      Id: s.Id,
      Name: s.Name,
      Config: s.Config,
      ActionOnFailure: s.ActionOnFailure,
      ExecutionRoleArn: s.ExecutionRoleArn,
      Status: {
        State: s.state,
        StateChangeReason: s.state === 'INTERRUPTED' ? { Message: 'Step was interrupted: instance lost' } : {},
        FailureDetails: failure,
        Timeline: { CreationDateTime: secs(s.created), StartDateTime: secs(s.started), EndDateTime: secs(s.ended) },
      },
    };
  }

  private scriptFor(name: string): StepScript {
    const key = [...this.scripts.keys()].find((k) => name === k || name.endsWith(`-${k}`));
    return (key && this.scripts.get(key)) || { outcome: 'succeed' };
  }

  private newStep(name: string, jar: { Jar: string; Args?: string[]; MainClass?: string }, action: string, role?: string): FakeStep {
    const Id = `s-${(++this.seq).toString(36).toUpperCase().padStart(13, '0')}`;
    const Config = { Jar: jar.Jar, Args: jar.Args ?? [], MainClass: jar.MainClass, Properties: {} };
    return { Id, Name: name, Config, ActionOnFailure: action, ExecutionRoleArn: role, state: 'PENDING', polls: 0, created: Date.now() };
  }

  /** Clusters DescribeCluster shows as TERMINATED (`terminate`). */
  private readonly terminated = new Set<string>();

  /** The cluster is gone: DescribeCluster says TERMINATED from now on. */
  terminate(clusterId: string): void {
    this.terminated.add(clusterId);
  }

  private cluster(id: unknown): string {
    const ok = typeof id === 'string' && /^j-[A-Z0-9]+$/.test(id) && (!this.allowedClusters || this.allowedClusters.has(id));
    if (!ok) throw new AwsError('InvalidRequestException', `Cluster id '${String(id)}' is not valid.`);
    return id;
  }

  private stepsOf(clusterId: string): FakeStep[] {
    let steps = this.clusters.get(clusterId);
    if (!steps) this.clusters.set(clusterId, (steps = []));
    return steps;
  }

  private step(clusterId: string, id: unknown): FakeStep {
    const step = this.stepsOf(clusterId).find((s) => s.Id === id);
    if (!step) throw new AwsError('InvalidRequestException', `Step id '${String(id)}' is not valid.`);
    return step;
  }
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
