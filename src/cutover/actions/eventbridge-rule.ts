import { DescribeRuleCommand, DisableRuleCommand, EnableRuleCommand, ListTargetsByRuleCommand, type EventBridgeClient, type Target } from '@aws-sdk/client-eventbridge';
import { ConfigError, InvalidStateError } from '../../errors.ts';
import { callAws } from '../../engines/emr/to-api-error.ts';
import type { ActionContext, ActionResult } from './context.ts';

export interface RuleChange {
  name: string;
  eventBus?: string;
  state: 'ENABLED' | 'DISABLED';
}

/** ListTargetsByRule pages read at most: a rule has at most 5 targets. */
const MAX_TARGET_PAGES = 5;

/**
 * `events.rule`: enables or disables one EventBridge rule (DisableRule / EnableRule change the
 * state and nothing else). `redshift.scheduledQuery` is the same call on the rule a Redshift
 * scheduled query is (the query editor schedules through an EventBridge rule whose target runs
 * SQL through the Data API), after checking the rule really has such a target: a typo must not
 * switch off some other team's rule.
 */
export async function setRuleState(change: RuleChange, ctx: ActionContext, { redshiftQuery = false } = {}): Promise<ActionResult> {
  const action = redshiftQuery ? 'redshift.scheduledQuery' : 'events.rule';
  if (!ctx.eventbridge) throw new ConfigError(`cutover step ${ctx.step}`, [`${action}: no EventBridge client is configured (AWS_REGION)`]);
  const client = ctx.eventbridge;
  const { name: Name, eventBus: EventBusName } = change;
  const signal = ctx.signal;
  const what = redshiftQuery ? `Redshift scheduled query ${Name}` : `EventBridge rule ${Name}${EventBusName ? ` on ${EventBusName}` : ''}`;
  const rule = await callAws('eventbridge', 'DescribeRule', () => client.send(new DescribeRuleCommand({ Name, EventBusName }), { abortSignal: signal }), signal);
  if (redshiftQuery) {
    const targets = await listRuleTargets(client, Name, EventBusName, signal);
    if (!targets.some((t) => t.RedshiftDataParameters)) {
      const arns = targets.map((t) => t.Arn).join(', ') || 'none';
      throw new InvalidStateError(`EventBridge rule ${Name} runs no Redshift query (its targets: ${arns}): name the scheduled query's rule, or use events.rule for another rule`);
    }
  }
  const word = change.state === 'DISABLED' ? 'disabled' : 'enabled';
  // ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS is enabled too: enabling it again would change what it matches.
  const enabled = rule.State !== 'DISABLED';
  if (enabled === (change.state === 'ENABLED')) return { action, changed: false, text: `${what} was already ${word}` };
  const Command = change.state === 'DISABLED' ? DisableRuleCommand : EnableRuleCommand;
  await callAws('eventbridge', change.state === 'DISABLED' ? 'DisableRule' : 'EnableRule', () => client.send(new Command({ Name, EventBusName }), { abortSignal: signal }), signal);
  const schedule = rule.ScheduleExpression ? ` (${rule.ScheduleExpression})` : '';
  return { action, changed: true, text: `${what} ${word}${schedule}` };
}

/** A rule's targets (every page; a rule has at most 5). Also read by `cutover doctor`. */
export async function listRuleTargets(client: EventBridgeClient, Rule: string, EventBusName: string | undefined, signal?: AbortSignal): Promise<Target[]> {
  const targets: Target[] = [];
  let NextToken: string | undefined;
  for (let page = 0; page < MAX_TARGET_PAGES; page++) {
    const out = await callAws('eventbridge', 'ListTargetsByRule', () => client.send(new ListTargetsByRuleCommand({ Rule, EventBusName, NextToken }), { abortSignal: signal }), signal);
    targets.push(...(out.Targets ?? []));
    NextToken = out.NextToken;
    if (!NextToken) break;
  }
  return targets;
}
