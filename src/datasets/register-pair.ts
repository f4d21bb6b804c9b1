import type { SchemaColumn } from '../diff/column-plan.ts';
import type { DuckDbSession } from '../diff/duckdb-session.ts';
import { detectFormat, registerDataset, type DatasetAccess, type RegisteredDataset } from './register-dataset.ts';
import type { DatasetSource, RegisterOptions } from './types.ts';

export interface PairOptions {
  /** Columns the comparison ignores: left out of the columns one side takes from the other. */
  ignore?: Iterable<string>;
  /** See RegisterOptions.keepUnparsed; the diff sets it. */
  keepUnparsed?: boolean;
  /** Each side's own options (a Delta side's job run window). */
  register?: { legacy?: RegisterOptions; target?: RegisterOptions };
}

/**
 * Registers both sides of a comparison as the views `legacy` and `target`, each read in the
 * other's terms: the typed side first (Parquet, Delta), then a text side (CSV, UNLOAD) named
 * and typed after its columns (`RegisterOptions.like`, ignored columns left out). Columns the
 * first side could only guess (Hive partition values, sniffed CSV types) then take the second
 * side's declared type (`retype`), so a folder `store=007` beside an integer column is 7 and
 * beside a string column "007".
 */
export async function registerPair(
  session: DuckDbSession,
  datasets: { legacy: DatasetSource; target: DatasetSource },
  access: DatasetAccess = {},
  options: PairOptions = {},
): Promise<{ legacy: RegisteredDataset; target: RegisteredDataset }> {
  const ignore = new Set(options.ignore ?? []);
  const visible = (cols: SchemaColumn[]) => cols.filter((c) => !ignore.has(c.name));
  // Formats are settled once here (a Unity Catalog table is Delta; a Glue or Redshift table says its own), so readers need not look again.
  const settle = async (d: DatasetSource): Promise<DatasetSource> => (!('path' in d) ? d : { ...d, format: d.format ?? (await detectFormat(d.path, access)) });
  const [legacy, target] = [await settle(datasets.legacy), await settle(datasets.target)];
  const isText = (d: DatasetSource) => 'path' in d && (d.format === 'csv' || d.format === 'unload');
  const order = isText(legacy) && !isText(target) ? (['target', 'legacy'] as const) : (['legacy', 'target'] as const);
  const sides = { legacy, target };
  const own = (side: 'legacy' | 'target'): RegisterOptions => ({ ...options.register?.[side], keepUnparsed: options.keepUnparsed });
  const first = await registerDataset(session, order[0], sides[order[0]], access, own(order[0]));
  const second = await registerDataset(session, order[1], sides[order[1]], access, { ...own(order[1]), like: visible(first.columns) });
  const guessed = new Set(first.untyped ?? []);
  const typeOf = new Map(first.columns.map((c) => [c.name, c.type]));
  const declared = visible(second.columns).filter((c) => guessed.has(c.name) && !(second.untyped ?? []).includes(c.name) && typeOf.get(c.name) !== c.type);
  if (declared.length > 0 && first.retype) {
    const like = first.columns.map((c) => declared.find((d) => d.name === c.name) ?? { name: c.name, type: c.type });
    first.columns = await first.retype(like);
  }
  return order[0] === 'legacy' ? { legacy: first, target: second } : { legacy: second, target: first };
}
