import type { CostMethod, RunCost } from '../cost/types.ts';
import type { RunRecord } from '../store/run-record.ts';
import { escapeMrkdwn } from './format.ts';

const METHOD_LABEL: Record<CostMethod, string> = {
  'databricks-billing': 'billing tables',
  'cost-explorer': 'Cost Explorer',
  'emr-share': 'share of the shared cluster',
  sandbox: 'simulated',
};

/** How a figure was measured, in two or three words (shown beside it). */
export const costMethodLabel = (m: CostMethod): string => METHOD_LABEL[m];

/** `$41.20` (cents; `$0.0042` below a cent so tiny runs do not read as free); other currencies as `41.20 EUR`. */
export function formatMoney(amount: number, currency = 'USD'): string {
  const digits = amount !== 0 && Math.abs(amount) < 0.01 ? 4 : 2;
  const n = amount.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
  return currency === 'USD' ? `$${n}` : `${n} ${currency}`;
}

/** `−54 %` / `+12 %` / `±0 %`: the Databricks figure against the legacy one (Unicode minus, as people write it). */
export function costChange(legacy: number, target: number): string | undefined {
  if (!(legacy > 0)) return undefined;
  const pct = Math.round(((target - legacy) / legacy) * 100);
  return pct === 0 ? '±0 %' : pct < 0 ? `−${-pct} %` : `+${pct} %`;
}

/**
 * A run's cost as the views see it: absent when the run never reached its engine (nothing to
 * pay for), `pending` from its end until the figure is recorded.
 */
export function effectiveCost(run: Pick<RunRecord, 'state' | 'externalId' | 'cost'> | undefined): RunCost | 'pending' | undefined {
  if (!run?.externalId) return undefined;
  if (run.cost) return run.cost.status === 'pending' ? 'pending' : run.cost;
  return ['succeeded', 'failed', 'cancelled', 'timed_out'].includes(run.state) ? 'pending' : undefined;
}

/** `$41.20`, `cost pending`, `unknown` or `none` for one side. */
export function costFigure(cost: RunCost | 'pending' | undefined): string {
  if (cost === undefined) return 'none';
  if (cost === 'pending') return 'cost pending';
  if (cost.status === 'known' && cost.amount !== undefined) return formatMoney(cost.amount, cost.currency);
  return 'unknown';
}

/** `legacy $41.20 vs Databricks $18.75 (−54 %)`; the change only when both are known in one currency. */
export function costPair(legacy: RunCost | 'pending' | undefined, target: RunCost | 'pending' | undefined): string {
  const known = (c: typeof legacy): c is RunCost => typeof c === 'object' && c.status === 'known' && c.amount !== undefined;
  const change = known(legacy) && known(target) && legacy.currency === target.currency ? costChange(legacy.amount!, target.amount!) : undefined;
  return `legacy ${costFigure(legacy)} vs Databricks ${costFigure(target)}${change ? ` (${change})` : ''}`;
}

/** What each side's figure is and includes, or why it is not known, for the line under the figures. */
export function costNotes(sides: Array<[string, RunCost | 'pending' | undefined]>): string[] {
  const notes: string[] = [];
  for (const [side, cost] of sides) {
    if (typeof cost !== 'object') continue;
    if (cost.status === 'known' && cost.method) {
      const dbus = cost.dbus !== undefined ? `${cost.dbus.toLocaleString('en-US', { maximumFractionDigits: 2 })} DBU, ` : '';
      notes.push(`${side}: ${dbus}${costMethodLabel(cost.method)}: ${escapeMrkdwn(cost.note ?? '')}`);
    } else if (cost.status === 'unknown') notes.push(unknownCostNote(side, cost, escapeMrkdwn));
  }
  return notes;
}

/**
 * Why each side's cost is unknown (`Databricks cost unknown (billing tables): <reason>`), for the
 * sides whose cost is; `escape` readies the reason for where it is shown (mrkdwn by default).
 */
export function unknownCostNotes(sides: Array<[string, RunCost | 'pending' | undefined]>, escape: (text: string) => string = escapeMrkdwn): string[] {
  return sides.flatMap(([side, cost]) => (typeof cost === 'object' && cost.status === 'unknown' ? [unknownCostNote(side, cost, escape)] : []));
}

function unknownCostNote(side: string, cost: RunCost, escape: (text: string) => string): string {
  // The source beside the reason: a refusal's words alone do not say whose they are.
  const source = cost.method ? ` (${costMethodLabel(cost.method)})` : '';
  return `${side} cost unknown${source}: ${escape(cost.reason ?? 'no reason given')}`;
}

/** `cost: legacy $X vs Databricks $Y (−Z %)`, or just `cost pending` while neither side has a figure. */
export function costLine(legacy: RunCost | 'pending' | undefined, target: RunCost | 'pending' | undefined): string {
  const waiting = (c: typeof legacy) => c === undefined || c === 'pending';
  return waiting(legacy) && waiting(target) ? 'cost pending' : `cost: ${costPair(legacy, target)}`;
}
