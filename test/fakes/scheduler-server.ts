import { AwsError, AwsFakeServer, checkString, required, type Route } from './aws-fake-server.ts';

/**
 * A fake Amazon EventBridge Scheduler (botocore `scheduler/2021-06-30`: REST-JSON) for
 * GetSchedule (`GET /schedules/{Name}?groupName=`) and UpdateSchedule (`PUT /schedules/{Name}`).
 * As the service documents, UpdateSchedule replaces the schedule with exactly what it is sent:
 * an optional field left out falls back to its default (no description, no time zone, no start
 * date, State ENABLED). It refuses what the service refuses: a `Name` or `groupName` outside
 * 1–64 `[0-9a-zA-Z-_.]`, no `ScheduleExpression`, `FlexibleTimeWindow` (or a FLEXIBLE one
 * without `MaximumWindowInMinutes` in 1–1440) or `Target` with its `Arn` and `RoleArn`, a
 * `State` other than ENABLED/DISABLED, a `ClientToken` outside 1–64 characters
 * (`ValidationException`, checked before the schedule is looked up, as input validation comes
 * first), a StartDate more than 5 minutes in the past, and an unknown schedule or group
 * (`ResourceNotFoundException`, 404).
 */

export interface ScheduleRecord {
  Name: string;
  GroupName: string;
  ScheduleExpression: string;
  ScheduleExpressionTimezone?: string;
  FlexibleTimeWindow: { Mode: 'OFF' | 'FLEXIBLE'; MaximumWindowInMinutes?: number };
  Target: Record<string, unknown> & { Arn: string; RoleArn: string };
  State: 'ENABLED' | 'DISABLED';
  Description?: string;
  StartDate?: Date;
  EndDate?: Date;
  KmsKeyArn?: string;
  ActionAfterCompletion?: 'NONE' | 'DELETE';
}

export class FakeScheduler extends AwsFakeServer {
  private schedules = new Map<string, ScheduleRecord>();

  constructor() {
    super({ kind: 'rest-json', route: routeOf });
  }

  put(schedule: ScheduleRecord): void {
    this.schedules.set(`${schedule.GroupName}/${schedule.Name}`, structuredClone(schedule));
  }

  get(group: string, name: string): ScheduleRecord | undefined {
    return this.schedules.get(`${group}/${name}`);
  }

  private lookup(group: string, name: string): ScheduleRecord {
    const existing = this.schedules.get(`${group}/${name}`);
    if (!existing) throw new AwsError('ResourceNotFoundException', `Schedule ${name} does not exist.`, 404);
    return existing;
  }

  protected dispatch(operation: string, input: Record<string, unknown>): unknown {
    const group = (input.GroupName as string | undefined) ?? 'default';
    const name = String(input.Name);
    checkString('name', name, { min: 1, max: 64, pattern: NAME });
    checkString('groupName', group, { min: 1, max: 64, pattern: NAME });
    if (operation === 'GetSchedule') {
      const existing = this.lookup(group, name);
      const created = new Date(0);
      return { ...existing, Arn: arnOf(group, name), CreationDate: created, LastModificationDate: created };
    }
    const window = required<ScheduleRecord['FlexibleTimeWindow']>(input, 'FlexibleTimeWindow');
    if (!window.Mode || (window.Mode === 'FLEXIBLE' && !window.MaximumWindowInMinutes)) throw new AwsError('ValidationException', 'FlexibleTimeWindow needs Mode, and MaximumWindowInMinutes when FLEXIBLE');
    const maxWindow = window.MaximumWindowInMinutes;
    if (maxWindow !== undefined && (maxWindow < 1 || maxWindow > 1440)) throw new AwsError('ValidationException', `1 validation error detected: Value '${maxWindow}' at 'flexibleTimeWindow.maximumWindowInMinutes' failed to satisfy constraint: Member must have value between 1 and 1440`);
    const target = required<ScheduleRecord['Target']>(input, 'Target');
    required(target, 'Arn');
    required(target, 'RoleArn');
    required(input, 'ScheduleExpression');
    if (input.State !== undefined && input.State !== 'ENABLED' && input.State !== 'DISABLED') throw new AwsError('ValidationException', `1 validation error detected: Value '${String(input.State)}' at 'state' failed to satisfy enum value set: [ENABLED, DISABLED]`);
    checkString('clientToken', input.ClientToken, { min: 1, max: 64 });
    this.lookup(group, name);
    const date = (v: unknown) => (typeof v === 'number' ? new Date(v * 1000) : undefined);
    const startDate = date(input.StartDate);
    if (startDate && startDate.getTime() < Date.now() - 5 * 60_000) throw new AwsError('ValidationException', 'The StartDate you specify cannot be earlier than 5 minutes ago.');
    const replaced: ScheduleRecord = {
      Name: name,
      GroupName: group,
      ScheduleExpression: required(input, 'ScheduleExpression'),
      ScheduleExpressionTimezone: input.ScheduleExpressionTimezone as string | undefined,
      FlexibleTimeWindow: window,
      Target: target,
      State: (input.State as ScheduleRecord['State'] | undefined) ?? 'ENABLED',
      Description: input.Description as string | undefined,
      StartDate: startDate,
      EndDate: date(input.EndDate),
      KmsKeyArn: input.KmsKeyArn as string | undefined,
      ActionAfterCompletion: input.ActionAfterCompletion as ScheduleRecord['ActionAfterCompletion'],
    };
    this.schedules.set(`${group}/${name}`, replaced);
    return { ScheduleArn: arnOf(group, name) };
  }
}

const NAME = /^[0-9a-zA-Z-_.]+$/;

const arnOf = (group: string, name: string) => `arn:aws:scheduler:us-east-1:111122223333:schedule/${group}/${name}`;

function routeOf(method: string, url: URL, body: Record<string, unknown>): Route | undefined {
  const m = /^\/schedules\/([^/]+)$/.exec(url.pathname);
  if (!m) return undefined;
  const Name = decodeURIComponent(m[1]!);
  if (method === 'GET') return { operation: 'GetSchedule', input: { Name, GroupName: url.searchParams.get('groupName') ?? undefined } };
  if (method === 'PUT') return { operation: 'UpdateSchedule', input: { ...body, Name } };
  return undefined;
}
