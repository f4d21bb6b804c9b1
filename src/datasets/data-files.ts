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

/**
 * A glob as a matcher of `/`-separated paths: `**` crosses folders (a `**` folder may also
 * stand for no folder at all), `*` and `?` do not, `[...]` is a character class (`[!...]` or `[^...]` negated, ranges
 * allowed; never `/`), an unclosed `[` and everything else are literal.
 *
 * Matched by simulating the pattern's automaton over the path (every reachable pattern position
 * at once), never by backtracking: time is O(path × pattern) whatever the number of `**`. A
 * regular expression built from the glob (the earlier implementation, or picomatch's) backtracks
 * polynomially on a key such as `aaaa…` against `**a**a**a**b`: a catalog path could stall a worker.
 */
export function compileGlob(glob: string): (path: string) => boolean {
  const steps = parseGlob(glob);
  const end = steps.length;
  // Positions reachable without reading a character: a star may match nothing.
  const close = (from: Iterable<number>): Set<number> => {
    const out = new Set<number>();
    const todo = [...from];
    while (todo.length > 0) {
      const i = todo.pop() as number;
      if (out.has(i)) continue;
      out.add(i);
      const step = steps[i];
      if (step && step.kind !== 'one') todo.push(i + 1);
    }
    return out;
  };
  const start = close([0]);
  return (path) => {
    let current = start;
    for (const ch of path) {
      const next: number[] = [];
      for (const i of current) {
        const step = steps[i];
        if (!step) continue;
        if (step.kind === 'one') {
          if (step.test(ch)) next.push(i + 1);
        } else if (step.kind === 'star') {
          if (ch !== '/') next.push(i);
        } else if (step.kind === 'globstar') {
          next.push(i);
        } else {
          // A `**` folder: any run of folders, which must end at a `/`.
          next.push(i);
          if (ch === '/') next.push(i + 1);
        }
      }
      if (next.length === 0) return false;
      current = close(next);
    }
    return current.has(end);
  };
}

type GlobStep = { kind: 'one'; test: (ch: string) => boolean } | { kind: 'star' | 'globstar' | 'folders' };

function parseGlob(glob: string): GlobStep[] {
  const steps: GlobStep[] = [];
  const chars = [...glob];
  for (let i = 0; i < chars.length; i++) {
    const ch = chars[i] as string;
    if (ch === '*' && chars[i + 1] === '*') {
      while (chars[i + 1] === '*') i++;
      if (chars[i + 1] === '/') {
        steps.push({ kind: 'folders' });
        i++;
      } else steps.push({ kind: 'globstar' });
    } else if (ch === '*') steps.push({ kind: 'star' });
    else if (ch === '?') steps.push({ kind: 'one', test: (c) => c !== '/' });
    else if (ch === '[' && chars.indexOf(']', i + 2) > 0) {
      const endAt = chars.indexOf(']', i + 2);
      steps.push({ kind: 'one', test: charClass(chars.slice(i + 1, endAt)) });
      i = endAt;
    } else steps.push({ kind: 'one', test: (c) => c === ch });
  }
  return steps;
}

/** `[abc]`, `[a-z0-9]`, `[!x]` / `[^x]`; a `]` right after the opening bracket is literal. */
function charClass(body: string[]): (ch: string) => boolean {
  const negated = body[0] === '!' || body[0] === '^';
  const items = negated ? body.slice(1) : body;
  const ranges: Array<[string, string]> = [];
  for (let i = 0; i < items.length; i++) {
    const from = items[i] as string;
    const to = items[i + 2];
    if (items[i + 1] === '-' && to !== undefined) {
      ranges.push([from, to]);
      i += 2;
    } else ranges.push([from, from]);
  }
  return (ch) => ch !== '/' && ranges.some(([a, b]) => ch >= a && ch <= b) !== negated;
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
