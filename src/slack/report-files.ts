import type { DiffReport } from '../diff/types.ts';
import type { ParallelRecord } from '../store/parallel-record.ts';

/** One file for `files.uploadV2` (getUploadURLExternal + completeUploadExternal). */
export interface ReportFile {
  filename: string;
  content: string;
  title: string;
}

/**
 * The files attached to a parallel run's thread: `<pipeline>-<period>-diff.json` with the
 * verdict, DQ and every output's summary and full DiffReport, then one
 * `<pipeline>-<period>-<output>-mismatches.csv` per output whose CSV has rows (sorted by
 * output). Names keep only `[A-Za-z0-9._-]`, so an output such as `sales/eu` stays one file.
 */
export function buildReportFiles(p: ParallelRecord, reports: Record<string, DiffReport>, mismatchCsv: Record<string, string>): ReportFile[] {
  const base = `${safeName(p.pipeline)}-${safeName(p.period)}`;
  const names = [...new Set([...Object.keys(p.outputs), ...Object.keys(reports)])];
  const summary = {
    id: p.id,
    kind: p.kind,
    pipeline: p.pipeline,
    period: p.period,
    state: p.state,
    verdict: p.verdict ?? null,
    verdictReason: p.verdictReason ?? null,
    dq: p.dq ?? null,
    createdAt: new Date(p.createdAt).toISOString(),
    endedAt: p.endedAt === undefined ? null : new Date(p.endedAt).toISOString(),
    outputs: Object.fromEntries(
      names.map((name) => {
        const o = p.outputs[name];
        return [name, { verdict: o?.verdict ?? reports[name]?.verdict ?? null, error: o?.error ?? null, report: reports[name] ?? null }];
      }),
    ),
  };
  const files: ReportFile[] = [
    { filename: `${base}-diff.json`, content: `${JSON.stringify(summary, null, 2)}\n`, title: `${p.pipeline} ${p.period} diff report (JSON)` },
  ];
  for (const output of Object.keys(mismatchCsv).sort()) {
    const csv = mismatchCsv[output] ?? '';
    const rows = countCsvRows(csv);
    if (rows === 0) continue;
    files.push({
      filename: `${base}-${safeName(output)}-mismatches.csv`,
      content: csv,
      title: `${p.pipeline} ${p.period} ${output}: ${rows.toLocaleString('en-US')} mismatched row${rows === 1 ? '' : 's'} (CSV)`,
    });
  }
  return files;
}

/** Characters outside `[A-Za-z0-9._-]` become `_`, so names are safe on every file system. */
export function safeName(name: string): string {
  return name.replace(/[^A-Za-z0-9._-]/g, '_').slice(0, 100) || '_';
}

/** Records after the header, reading quotes so a value with a newline counts once. */
export function countCsvRows(csv: string): number {
  let records = 0;
  let quoted = false;
  let content = false;
  for (let i = 0; i < csv.length; i++) {
    const ch = csv[i];
    if (ch === '"') quoted = !quoted;
    if (!quoted && ch === '\n') {
      if (content) records++;
      content = false;
    } else if (ch !== '\r') content = true;
  }
  if (content) records++;
  return Math.max(0, records - 1);
}
