import type { DiffReport, KeyValues } from '../diff/index.ts';

const n = (value: number) => value.toLocaleString('en-US');
const keyText = (key: KeyValues) => Object.entries(key).map(([k, v]) => `${k}=${v ?? 'NULL'}`).join(', ');
const value = (v: string | null) => (v === null ? 'NULL' : JSON.stringify(v));

export interface DiffTextOptions {
  /** What the PII policy did to the samples (`PiiPolicy.describe()`), e.g. `email masked`; shown when not empty. */
  pii?: string;
}

/** The report for people at a terminal: verdict first, then only the levels that have news. */
export function formatDiffText(r: DiffReport, { pii }: DiffTextOptions = {}): string {
  const c = r.counts;
  const lines = [
    `${r.verdict === 'clean' ? 'CLEAN' : 'DIFFERENT'}  key (${r.key.join(', ')})  legacy ${n(c.legacy)} rows, target ${n(c.target)} rows  [${r.strategy}, ${(r.durationMs / 1000).toFixed(1)} s]`,
  ];
  const s = r.schema;
  if (s.missing.length > 0) lines.push(`  missing in target: ${s.missing.join(', ')}`);
  if (s.extra.length > 0) lines.push(`  extra in target:   ${s.extra.join(', ')}`);
  for (const t of s.typeChanges) {
    lines.push(`  type change: ${t.column} ${t.legacy} -> ${t.target}${t.tolerated ? ' (tolerated)' : ''}`);
  }
  const rows: [string, number, KeyValues[]][] = [
    ['only in legacy', c.onlyLegacy, r.keySamples.onlyLegacy],
    ['only in target', c.onlyTarget, r.keySamples.onlyTarget],
    ['duplicate keys in legacy', c.duplicateKeys.legacy, r.keySamples.duplicateLegacy],
    ['duplicate keys in target', c.duplicateKeys.target, r.keySamples.duplicateTarget],
    ['null keys in legacy', c.nullKeys.legacy, []],
    ['null keys in target', c.nullKeys.target, []],
    ['changed', c.changed, []],
  ];
  for (const [label, count, keys] of rows) {
    if (count === 0) continue;
    const sample = keys.length > 0 ? `  e.g. ${keys.slice(0, 3).map(keyText).join('; ')}` : '';
    lines.push(`  ${label}: ${n(count)}${sample}`);
  }
  const columns = Object.entries(r.columns).filter(([, col]) => col.mismatches > 0);
  columns.sort((a, b) => b[1].mismatches - a[1].mismatches);
  for (const [name, col] of columns) {
    lines.push(`  column ${name}: ${n(col.mismatches)} mismatches`);
    for (const sample of col.samples.slice(0, 3)) {
      lines.push(`    ${keyText(sample.key)}: ${value(sample.legacy)} -> ${value(sample.target)}`);
    }
  }
  if (pii && r.verdict !== 'clean') lines.push(`  pii: ${pii} in samples (--show-pii for raw values)`);
  return `${lines.join('\n')}\n`;
}
