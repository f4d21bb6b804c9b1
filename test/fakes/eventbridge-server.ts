import { AwsError, AwsFakeServer, checkString, required } from './aws-fake-server.ts';

/**
 * A fake Amazon EventBridge (botocore `events/2015-10-07`: AWS JSON 1.1, target prefix
 * `AWSEvents`) for rules: DescribeRule, DisableRule, EnableRule and ListTargetsByRule. An unknown
 * rule or bus is `ResourceNotFoundException`; a rule another service manages (`ManagedBy`)
 * refuses changes with `ManagedRuleException`; a missing `Name` / `Rule`, one outside 1–64
 * `[.\-_A-Za-z0-9]`, an `EventBusName` outside 1–1600 characters of its pattern, or a `Limit`
 * outside 1–100 is `ValidationException`, before the rule is looked up.
 */

export interface RuleRecord {
  Name: string;
  EventBusName?: string;
  State: 'ENABLED' | 'DISABLED' | 'ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS';
  ScheduleExpression?: string;
  Description?: string;
  ManagedBy?: string;
  Targets: Array<Record<string, unknown> & { Id: string; Arn: string }>;
}

export class FakeEventBridge extends AwsFakeServer {
  private rules = new Map<string, RuleRecord>();

  constructor() {
    super({ kind: 'json', targetPrefix: 'AWSEvents', jsonVersion: '1.1' });
  }

  put(rule: RuleRecord): void {
    this.rules.set(`${rule.EventBusName ?? 'default'}/${rule.Name}`, structuredClone(rule));
  }

  get(name: string, bus = 'default'): RuleRecord | undefined {
    return this.rules.get(`${bus}/${name}`);
  }

  protected dispatch(operation: string, input: Record<string, unknown>): unknown {
    const name = required<string>(input, operation === 'ListTargetsByRule' ? 'Rule' : 'Name');
    checkString(operation === 'ListTargetsByRule' ? 'rule' : 'name', name, { min: 1, max: 64, pattern: /^[.\-_A-Za-z0-9]+$/ });
    checkString('eventBusName', input.EventBusName, { min: 1, max: 1600, pattern: /^(arn:aws[\w-]*:events:[a-z0-9-]+:\d{12}:event-bus\/)?[/.\-_A-Za-z0-9]+$/ });
    const limit = input.Limit;
    if (limit !== undefined && (typeof limit !== 'number' || limit < 1 || limit > 100)) throw new AwsError('ValidationException', `1 validation error detected: Value '${String(limit)}' at 'limit' failed to satisfy constraint: Member must have value between 1 and 100`);
    const bus = (input.EventBusName as string | undefined) ?? 'default';
    const rule = this.rules.get(`${bus}/${name}`);
    if (!rule) throw new AwsError('ResourceNotFoundException', `Rule ${name} does not exist on EventBus ${bus}.`);
    switch (operation) {
      case 'DescribeRule': {
        const { Targets: _t, ...rest } = rule;
        return { ...rest, EventBusName: bus, Arn: `arn:aws:events:us-east-1:111122223333:rule/${bus === 'default' ? '' : `${bus}/`}${name}` };
      }
      case 'DisableRule':
      case 'EnableRule':
        if (rule.ManagedBy) throw new AwsError('ManagedRuleException', `Rule ${name} is managed by ${rule.ManagedBy}`);
        rule.State = operation === 'DisableRule' ? 'DISABLED' : 'ENABLED';
        return {};
      case 'ListTargetsByRule':
        return { Targets: rule.Targets };
      default:
        throw new AwsError('UnknownOperationException', `${operation} is not supported by the fake`);
    }
  }
}
