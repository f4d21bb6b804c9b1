import type { CheckResult, RunChecksResult } from './types.ts';

export interface ChecksHeading {
  pipeline: string;
  period: string;
  side: 'target' | 'legacy';
}

/** `cutover dq` without `--json`: a summary line, then one line per check and its samples. */
export function formatChecksText(result: RunChecksResult, heading: ChecksHeading): string {
  const failed = result.checks.filter((c) => !c.passed).length;
  const summary =
    result.checks.length === 0
      ? 'no checks declared'
      : failed === 0
        ? `all ${result.checks.length} checks passed`
        : `${failed} of ${result.checks.length} checks failed`;
  const lines = [`dq ${heading.pipeline} ${heading.period} (${heading.side}): ${summary}`];
  for (const c of result.checks) lines.push(...describe(c));
  return `${lines.join('\n')}\n`;
}

function describe(c: CheckResult): string[] {
  const status = c.error ? 'ERROR' : c.passed ? 'PASS ' : 'FAIL ';
  const detail = c.error ? `  ${firstLine(c.error)}` : c.passed ? '' : `  ${c.summary ?? `${c.failingRows} failing row${c.failingRows === 1 ? '' : 's'}`}`;
  const note = c.note ? `  (${c.note})` : '';
  const samples = c.summary ? [] : c.samples;
  return [`  ${status} ${c.output}  ${c.check}${detail}${note}`, ...samples.map((s) => `        ${JSON.stringify(s)}`)];
}

export function firstLine(text: string): string {
  return text.trim().split('\n')[0]?.trim() ?? '';
}
