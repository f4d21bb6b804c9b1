import { describe, expect, it } from 'vitest';
import { routeSnsNotification, valueAt } from '../../../src/handlers/sns/route-sns-notification.ts';

const pipelines = new Set(['incites-monthly', 'billing-daily']);
const rules: Array<{ match: Record<string, string>; pipeline: string }> = [
  { match: { AlarmName: 'billing-daily-late', 'Trigger.Namespace': 'Databricks' }, pipeline: 'billing-daily' },
  { match: { 'Trigger.Dimensions.0.value': '123' }, pipeline: 'incites-monthly' },
];
const alarm = (over: Record<string, unknown> = {}) =>
  JSON.stringify({
    AlarmName: 'billing-daily-late',
    NewStateValue: 'ALARM',
    NewStateReason: 'Threshold Crossed',
    Trigger: { MetricName: 'Lateness', Namespace: 'Databricks', Dimensions: [{ name: 'JobId', value: '999' }] },
    ...over,
  });

describe('routeSnsNotification', () => {
  it('routes a DQ result naming a catalog pipeline', () => {
    expect(routeSnsNotification('{"pipeline":"incites-monthly","passed":false}', pipelines, rules)).toEqual({
      ok: true,
      route: { pipeline: 'incites-monthly', kind: 'dq-result', message: { pipeline: 'incites-monthly', passed: false } },
    });
  });

  it('does not route a message naming an unknown pipeline, even if a rule would match', () => {
    expect(routeSnsNotification(JSON.stringify({ pipeline: 'nope', AlarmName: 'billing-daily-late', NewStateValue: 'ALARM' }), pipelines, rules)).toEqual({
      ok: false,
      reason: 'unknown_pipeline',
    });
    expect(routeSnsNotification('{"pipeline":42}', pipelines, rules)).toMatchObject({ ok: false, reason: 'unknown_pipeline' });
  });

  it('routes a CloudWatch alarm by the first rule whose every dot-path matches', () => {
    expect(routeSnsNotification(alarm(), pipelines, rules)).toMatchObject({ ok: true, route: { pipeline: 'billing-daily', kind: 'cloudwatch-alarm' } });
    const byIndex = alarm({ AlarmName: 'x', Trigger: { Dimensions: [{ name: 'JobId', value: 123 }] } });
    expect(routeSnsNotification(byIndex, pipelines, rules)).toMatchObject({ ok: true, route: { pipeline: 'incites-monthly' } });
    expect(routeSnsNotification(alarm({ Trigger: { Namespace: 'Other' } }), pipelines, rules)).toEqual({ ok: false, reason: 'no_matching_route' });
  });

  it('refuses a rule pointing at a pipeline that is not in the catalog', () => {
    expect(routeSnsNotification(alarm(), pipelines, [{ match: {}, pipeline: 'gone' }])).toEqual({ ok: false, reason: 'no_matching_route' });
  });

  it('refuses messages that are neither', () => {
    for (const text of ['plain text', '[1,2]', 'null', '{"AlarmName":"x"}', '{}']) {
      expect(routeSnsNotification(text, pipelines, rules).ok).toBe(false);
    }
  });

  it('valueAt follows own properties only', () => {
    const root = JSON.parse('{"a":{"b":[{"c":true}]},"__proto__":{"x":"y"}}');
    expect(valueAt(root, 'a.b.0.c')).toBe('true');
    expect(valueAt(root, 'a.b')).toBeUndefined();
    expect(valueAt(root, 'constructor.name')).toBeUndefined();
    expect(valueAt({}, 'toString')).toBeUndefined();
  });
});
