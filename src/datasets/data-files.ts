import { readdir, stat } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { NotFoundError } from '../errors.ts';

const EXTENSIONS = {
  parquet: /\.parquet$/i,
  csv: /\.(csv|tsv|txt)(\.(gz|zst))?$/i,
} as const;

/**
 * The data files among a dataset folder's entries (paths relative to the folder). Spark and
 * Hadoop leave markers beside the data (`_SUCCESS`, `_committed_*`, `.part-*.crc`): anything
 * whose name or folder starts with `_` or `.` is skipped. Files with the format's extension win;
 * when none has it (some writers add none) every remaining file is data.
 */
export function selectDataFiles(paths: string[], format: 'parquet' | 'csv'): string[] {
  const visible = paths.filter((p) => p.split('/').every((part) => part !== '' && !part.startsWith('_') && !part.startsWith('.')));
  const typed = visible.filter((p) => EXTENSIONS[format].test(p));
  return (typed.length > 0 ? typed : visible).sort();
}

export function hasGlob(path: string): boolean {
  return /[*?[]/.test(path);
}

/** `**` crosses folders, `*` and `?` do not; `[...]` is a character class. */
export function globToRegExp(glob: string): RegExp {
  let re = '';
  for (let i = 0; i < glob.length; i++) {
    const ch = glob[i] as string;
    if (ch === '*' && glob[i + 1] === '*') {
      re += '.*';
      i++;
      if (glob[i + 1] === '/') i++;
    } else if (ch === '*') re += '[^/]*';
    else if (ch === '?') re += '[^/]';
    else if (ch === '[') {
      const end = glob.indexOf(']', i + 1);
      if (end < 0) re += '\\[';
      else {
        re += `[${glob.slice(i + 1, end).replace(/^!/, '^').replaceAll('\\', '\\\\')}]`;
        i = end;
      }
    } else re += ch.replace(/[.+^${}()|\\]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}

/**
 * The files of a local dataset: a file, a folder (searched recursively) or a glob (handed to
 * DuckDB as is). Throws NotFoundError when there is nothing to read, naming the path.
 */
export async function listLocalDataset(path: string, format: 'parquet' | 'csv'): Promise<string[]> {
  if (hasGlob(path)) return [path];
  const info = await stat(path).catch(() => undefined);
  if (!info) throw new NotFoundError(`dataset not found: ${path}`);
  if (info.isFile()) return [path];
  const entries = await readdir(path, { recursive: true, withFileTypes: true });
  const files = entries.filter((e) => e.isFile()).map((e) => relative(path, join(e.parentPath, e.name)).split('\\').join('/'));
  const selected = selectDataFiles(files, format);
  if (selected.length === 0) throw new NotFoundError(`no ${format} files under ${path}`);
  return selected.map((f) => join(path, f));
}
