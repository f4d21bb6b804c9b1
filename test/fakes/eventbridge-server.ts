import { AwsError, AwsFakeServer, required } from './aws-fake-server.ts';

/**
 * A fake Amazon EventBridge (botocore `events/2015-10-07`: AWS JSON 1.1, target prefix
 * `AWSEvents`) for rules: DescribeRule, DisableRule, EnableRule and ListTargetsByRule. An unknown
 * rule or bus is `ResourceNotFoundException`; a rule another service manages (`ManagedBy`)
 * refuses changes with `ManagedRuleException`; a missing `Name` / `Rule` is `ValidationException`.
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
