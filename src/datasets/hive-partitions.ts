import { UnsupportedError } from '../errors.ts';

/** Spark's (and Redshift UNLOAD's) folder name for a NULL or empty partition value. */
export const HIVE_DEFAULT_PARTITION = '__HIVE_DEFAULT_PARTITION__';

/** Partition columns read from `name=value` folders, with each file's values as text. */
export interface HivePartitions {
  /** Column names, unescaped, in folder order. */
  names: string[];
  /** Per file (same order as given): one value per name; NULL for the default partition. */
  values: (string | null)[][];
}

/**
 * Spark's `unescapePathName`: `%XX` becomes that character, anything else (a malformed `%`
 * included) stays as it is. Spark escapes quotes, `#%*:=?\`, the slash, `{[]^`, control characters and DEL.
 */
export function unescapePathName(text: string): string {
  return text.replace(/%([0-9A-Fa-f]{2})/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)));
}

/**
 * The Hive partition folders of each file (`rel`: its path below the dataset's root, so
 * folders above the root, like a `period=2025-01/` the catalog points into, are not columns).
 * Values are text and never typed here: the diff casts them to the other side's type. Every
 * file must sit under the same partition columns, in the same order; anything else is refused
 * naming two files, as Spark refuses "conflicting directory structures".
 */
export function hivePartitions(rels: string[]): HivePartitions {
  let names: string[] | undefined;
  let first = '';
  const values = rels.map((rel) => {
    const folders = rel.split('/').slice(0, -1);
    const pairs = folders.filter((f) => f.includes('=')).map((f) => {
      const at = f.indexOf('=');
      const value = unescapePathName(f.slice(at + 1));
      return [unescapePathName(f.slice(0, at)), value === HIVE_DEFAULT_PARTITION ? null : value] as const;
    });
    const these = pairs.map(([name]) => name);
    if (!names) [names, first] = [these, rel];
    else if (these.join('/') !== names.join('/')) {
      throw new UnsupportedError(`conflicting partition folders: ${first} is under (${names.join(', ')}) but ${rel} under (${these.join(', ')})`, 'partition-layout');
    }
    return pairs.map(([, value]) => value);
  });
  return { names: names ?? [], values };
}
