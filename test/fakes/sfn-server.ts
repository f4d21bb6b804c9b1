import { AwsError, AwsFakeServer, checkString, required } from './aws-fake-server.ts';

/**
 * A fake AWS Step Functions (botocore `stepfunctions/2016-11-23`: AWS JSON 1.0, target prefix
 * `AWSStepFunctions`): DescribeStateMachine, StartExecution, DescribeExecution, StopExecution and
 * GetExecutionHistory, with the service's rules for what it refuses:
 * - StartExecution needs `stateMachineArn` of an existing machine (`StateMachineDoesNotExist`,
 *   `InvalidArn`); `name` is 1–80 characters without whitespace, brackets, wildcards or
 *   `"#%\^|~`$&,;:/` (`InvalidName`); `input` must be JSON (`InvalidExecutionInput`).
 * - A name used before: while that execution is open with the same input, the same answer again;
 *   with another input, or once it closed, `ExecutionAlreadyExists` (Standard machines).
 * Executions go RUNNING → the machine's scripted outcome after `pollsToFinish` DescribeExecution
 * calls, writing the history the real service would: `ExecutionStarted`, then per state
 * `TaskStateEntered` / `TaskScheduled` / `TaskStarted` / `TaskSucceeded|TaskFailed` / `TaskStateExited`.
 */

export interface MachineScript {
  states: string[];
  type?: 'STANDARD' | 'EXPRESS';
  /** Default: every state succeeds. */
  outcome?: { fail: string; error: string; cause: string } | { timeout: true };
  pollsToFinish?: number;
}

interface Execution {
  arn: string;
  machineArn: string;
  name: string;
  input: string;
  status: 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT' | 'ABORTED';
  started: Date;
  stopped?: Date;
  polls: number;
  error?: string;
  cause?: string;
  events: Array<Record<string, unknown>>;
}

/** Whitespace, brackets, wildcards, `"#%\^|~`$&,;:/` and control characters (U+0000–001F, U+007F–009F). */
const NAME_FORBIDDEN = /[\s<>{}[\]?*"#%\\^|~`$&,;:/]|\p{Cc}/u;
const MACHINE_ARN = /^arn:aws[\w-]*:states:([a-z0-9-]+):(\d{12}):stateMachine:([\w-]{1,80})(:[\w$-]+)?$/;

export class FakeStepFunctions extends AwsFakeServer {
  private machines = new Map<string, MachineScript>();
  private executions = new Map<string, Execution>();

  constructor() {
    super({ kind: 'json', targetPrefix: 'AWSStepFunctions', jsonVersion: '1.0' });
  }

  /** Creates (or rescripts) a state machine; returns its ARN. */
  addStateMachine(name: string, script: MachineScript, region = 'us-east-1', account = '111122223333'): string {
    const arn = `arn:aws:states:${region}:${account}:stateMachine:${name}`;
    this.machines.set(arn, script);
    return arn;
  }

  /** Every execution, for assertions. */
  list(): Array<Pick<Execution, 'arn' | 'name' | 'input' | 'status'>> {
    return [...this.executions.values()].map(({ arn, name, input, status }) => ({ arn, name, input, status }));
  }

  protected dispatch(operation: string, input: Record<string, unknown>): unknown {
    switch (operation) {
      case 'DescribeStateMachine': {
        const arn = required<string>(input, 'stateMachineArn', 'InvalidArn');
        const script = this.machine(arn);
        const name = MACHINE_ARN.exec(arn)![3];
        return { stateMachineArn: arn, name, status: 'ACTIVE', definition: '{}', roleArn: 'arn:aws:iam::111122223333:role/sfn', type: script.type ?? 'STANDARD', creationDate: new Date(0) };
      }
      case 'StartExecution':
        return this.startExecution(input);
      case 'DescribeExecution':
        return this.describe(this.execution(input.executionArn), true);
      case 'StopExecution':
        return this.stop(this.execution(input.executionArn), input);
      case 'GetExecutionHistory':
        return this.history(this.execution(input.executionArn), input);
      default:
        throw new AwsError('UnknownOperationException', `${operation} is not supported by the fake`);
    }
  }

  private startExecution(input: Record<string, unknown>): unknown {
    const machineArn = required<string>(input, 'stateMachineArn', 'InvalidArn');
    const script = this.machine(machineArn);
    const name = (input.name as string | undefined) ?? crypto.randomUUID();
    checkString('name', name, { min: 1, max: 80 }, 'InvalidName');
    if (NAME_FORBIDDEN.test(name)) throw new AwsError('InvalidName', `Invalid Name: '${name}'`);
    const text = (input.input as string | undefined) ?? '{}';
    try {
      JSON.parse(text);
    } catch {
      throw new AwsError('InvalidExecutionInput', 'Invalid State Machine Execution Input: not JSON');
    }
    const [, region, account, machine] = MACHINE_ARN.exec(machineArn)!;
    const arn = `arn:aws:states:${region}:${account}:execution:${machine}:${name}`;
    const existing = this.executions.get(arn);
    if (existing) {
      // Only Standard starts are idempotent, and only while the execution is open and the input equal.
      if (script.type !== 'EXPRESS' && existing.status === 'RUNNING' && existing.input === text) return { executionArn: arn, startDate: existing.started };
      throw new AwsError('ExecutionAlreadyExists', `Execution Already Exists: '${arn}'`);
    }
    const started = new Date();
    const execution: Execution = { arn, machineArn, name, input: text, status: 'RUNNING', started, polls: 0, events: [] };
    this.event(execution, 'ExecutionStarted', { executionStartedEventDetails: { input: text, roleArn: 'arn:aws:iam::111122223333:role/sfn' } });
    this.executions.set(arn, execution);
    return { executionArn: arn, startDate: started };
  }

  private describe(e: Execution, advance: boolean): unknown {
    if (advance) this.advance(e);
    return {
      executionArn: e.arn,
      stateMachineArn: e.machineArn,
      name: e.name,
      status: e.status,
      startDate: e.started,
      stopDate: e.stopped,
      input: e.input,
      output: e.status === 'SUCCEEDED' ? '{}' : undefined,
      error: e.error,
      cause: e.cause,
    };
  }

  private stop(e: Execution, input: Record<string, unknown>): unknown {
    checkString('error', input.error, { max: 256 });
    checkString('cause', input.cause, { max: 32768 });
    if (e.status === 'RUNNING') {
      Object.assign(e, { status: 'ABORTED', stopped: new Date(), error: input.error, cause: input.cause });
      this.event(e, 'ExecutionAborted', { executionAbortedEventDetails: { error: input.error, cause: input.cause } });
    }
    return { stopDate: e.stopped ?? new Date() };
  }

  private history(e: Execution, input: Record<string, unknown>): unknown {
    const max = (input.maxResults as number | undefined) || 100;
    if (max < 0 || max > 1000) throw new AwsError('ValidationException', 'maxResults must be between 0 and 1000');
    const all = input.reverseOrder ? [...e.events].reverse() : e.events;
    const offset = input.nextToken ? Number(Buffer.from(String(input.nextToken), 'base64url').toString()) : 0;
    const page = all.slice(offset, offset + max);
    const next = offset + max < all.length ? Buffer.from(String(offset + max)).toString('base64url') : undefined;
    return { events: page, nextToken: next };
  }

  /** Runs the whole script once the execution has been polled enough: its history appears at once. */
  private advance(e: Execution): void {
    if (e.status !== 'RUNNING') return;
    const script = this.machine(e.machineArn);
    if (++e.polls < (script.pollsToFinish ?? 2)) return;
    for (const state of script.states) {
      const entered = this.event(e, 'TaskStateEntered', { stateEnteredEventDetails: { name: state, input: '{}' } });
      const resource = { resourceType: 'lambda', resource: 'invoke' };
      this.event(e, 'TaskScheduled', { taskScheduledEventDetails: { ...resource, region: 'us-east-1', parameters: '{}' } }, entered);
      this.event(e, 'TaskStarted', { taskStartedEventDetails: resource });
      const outcome = script.outcome;
      if (outcome && 'fail' in outcome && outcome.fail === state) {
        const failed = this.event(e, 'TaskFailed', { taskFailedEventDetails: { ...resource, error: outcome.error, cause: outcome.cause } });
        this.event(e, 'ExecutionFailed', { executionFailedEventDetails: { error: outcome.error, cause: outcome.cause } }, failed);
        return void Object.assign(e, { status: 'FAILED', stopped: new Date(), error: outcome.error, cause: outcome.cause });
      }
      if (outcome && 'timeout' in outcome && state === script.states.at(-1)) {
        this.event(e, 'ExecutionTimedOut', { executionTimedOutEventDetails: { error: 'States.Timeout', cause: 'The execution timed out' } });
        return void Object.assign(e, { status: 'TIMED_OUT', stopped: new Date(), error: 'States.Timeout' });
      }
      this.event(e, 'TaskSucceeded', { taskSucceededEventDetails: { ...resource, output: '{}' } });
      this.event(e, 'TaskStateExited', { stateExitedEventDetails: { name: state, output: '{}' } });
    }
    this.event(e, 'ExecutionSucceeded', { executionSucceededEventDetails: { output: '{}' } });
    Object.assign(e, { status: 'SUCCEEDED', stopped: new Date() });
  }

  /** Appends an event linked to the one before it (or to `previous`); returns its id. */
  private event(e: Execution, type: string, details: Record<string, unknown>, previous?: number): number {
    const id = e.events.length + 1;
    e.events.push({ timestamp: new Date(), type, id, previousEventId: previous ?? (id > 1 ? id - 1 : 0), ...details });
    return id;
  }

  private machine(arn: string): MachineScript {
    if (!MACHINE_ARN.test(arn)) throw new AwsError('InvalidArn', `Invalid Arn: '${arn}'`);
    const unqualified = arn.replace(/^(.*:stateMachine:[\w-]+)(:[\w$-]+)?$/, '$1');
    const script = this.machines.get(unqualified);
    if (!script) throw new AwsError('StateMachineDoesNotExist', `State Machine Does Not Exist: '${arn}'`);
    return script;
  }

  private execution(arn: unknown): Execution {
    if (typeof arn !== 'string' || !arn.includes(':execution:')) throw new AwsError('InvalidArn', `Invalid Arn: '${String(arn)}'`);
    const e = this.executions.get(arn);
    if (!e) throw new AwsError('ExecutionDoesNotExist', `Execution Does Not Exist: '${arn}'`);
    return e;
  }
}
