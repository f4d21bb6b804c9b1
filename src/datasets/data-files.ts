import { readdir, stat } from 'node:fs/promises';
import { basename, dirname, join, relative } from 'node:path';
import { NotFoundError } from '../errors.ts';

/** Which files of a folder a reader wants: loose Parquet, CSV, or Redshift UNLOAD parts. */
export type FileKind = 'parquet' | 'csv' | 'unload';

const EXTENSIONS: Record<FileKind, RegExp | undefined> = {
  parquet: /\.parquet$/i,
  csv: /\.(csv|tsv|txt)(\.(gz|gzip|zst|bz2))?$/i,
  // UNLOAD parts have no extension unless EXTENSION or a compression suffix adds one.
  unload: undefined,
};

/** `.csv`, `.tsv` or `.txt`, optionally compressed: what makes a dataset without a format CSV. */
export function isCsvFileName(path: string): boolean {
  return (EXTENSIONS.csv as RegExp).test(path);
}

/**
 * Spark and Hadoop leave markers beside the data (`_SUCCESS`, `_committed_*`, `_temporary/`,
 * `.part-*.crc`): a name starting with `.` is never data, one starting with `_` only when it is
 * a Hive partition folder (`_region=eu/`), as Spark's own listing decides.
 */
function isVisible(rel: string): boolean {
  const parts = rel.split('/');
  return parts.every((part, i) => {
    if (part === '' || part.startsWith('.')) return false;
    const folder = i < parts.length - 1;
    return !part.startsWith('_') || (folder && part.includes('='));
  });
}

/**
 * The data files among a dataset's files (paths relative to the dataset's root), sorted.
 * Markers are skipped (see isVisible). Parquet and CSV: files with the format's extension win;
 * when none has it (some writers add none) every remaining file is data. UNLOAD: every
 * remaining file (a manifest among them is the UNLOAD reader's to set aside).
 */
export function selectDataFiles(paths: string[], format: FileKind): string[] {
  const visible = paths.filter(isVisible);
  const ext = EXTENSIONS[format];
  const typed = ext ? visible.filter((p) => ext.test(p)) : [];
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

/** A file of a dataset: where it is, and its path below the dataset's root (Hive folders live there). */
export interface LocalFile {
  path: string;
  rel: string;
  size: number;
}

/**
 * Every file of a local dataset, markers included (callers select): a file, a folder (searched
 * recursively), a glob (expanded here, so partition folders and markers are handled as for a
 * folder), or, with `prefix: true`, a path prefix as Redshift UNLOAD writes them
 * (`out/venue_` → `out/venue_0000_part_00`, …). Throws NotFoundError naming the path when
 * nothing is there.
 */
export async function listLocalFiles(path: string, options: { prefix?: boolean } = {}): Promise<LocalFile[]> {
  if (hasGlob(path)) {
    const glob = path.split('\\').join('/');
    const root = glob.slice(0, glob.slice(0, glob.search(/[*?[]/)).lastIndexOf('/') + 1) || './';
    const matches = compileGlob(glob.startsWith('./') ? glob.slice(2) : glob);
    return (await walk(root)).filter((f) => matches(join(root, f.rel).split('\\').join('/')));
  }
  const info = await stat(path).catch(() => undefined);
  if (info?.isFile()) return [{ path, rel: basename(path), size: info.size }];
  if (info?.isDirectory()) return walk(path);
  if (options.prefix) {
    const dir = dirname(path);
    const start = basename(path);
    const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
    const out: LocalFile[] = [];
    for (const e of entries.filter((x) => x.name.startsWith(start))) {
      const full = join(dir, e.name);
      if (e.isFile()) out.push({ path: full, rel: e.name, size: (await stat(full)).size });
      else if (e.isDirectory()) out.push(...(await walk(full)).map((f) => ({ ...f, rel: e.name === start ? f.rel : `${e.name}/${f.rel}` })));
    }
    if (out.length > 0) return out;
  }
  throw new NotFoundError(`dataset not found: ${path}`);
}

export const byRel = (a: { rel: string }, b: { rel: string }): number => (a.rel < b.rel ? -1 : a.rel > b.rel ? 1 : 0);

async function walk(dir: string): Promise<LocalFile[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true }).catch(() => []);
  const files = entries.filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name));
  return Promise.all(files.map(async (path) => ({ path, rel: relative(dir, path).split('\\').join('/'), size: (await stat(path)).size })));
}

/**
 * The data files of a local dataset (see listLocalFiles and selectDataFiles). Throws
 * NotFoundError when there is nothing to read, naming the path.
 */
export async function listLocalDataset(path: string, format: FileKind): Promise<string[]> {
  const files = await listLocalFiles(path, { prefix: format === 'unload' });
  const selected = new Set(selectDataFiles(files.map((f) => f.rel), format));
  const out = files.filter((f) => selected.has(f.rel)).sort(byRel).map((f) => f.path);
  if (out.length === 0) throw new NotFoundError(`no ${format} files under ${path}`);
  return out;
}
