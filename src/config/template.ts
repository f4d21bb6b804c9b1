import { UsageError } from '../errors.ts';
import { hasControlCharacter } from './params.ts';

/** Placeholders a catalog string may use: `{{period}}`, `{{param.NAME}}`, and `{{output}}` in SQL checks. */
const PLACEHOLDER = /\{\{\s*([^}]*?)\s*\}\}/g;
const KNOWN = /^(period|output|param\.[A-Za-z_][\w-]*)$/;

export interface TemplateValues {
  period: string;
  params: Record<string, string>;
  output?: string;
  /** `{{run}}`: only in a Redshift dataset's `unload.to`, the id of one UNLOAD. */
  run?: string;
}

/** Names of placeholders in `text` that are not one of the known forms (used by catalog validation). */
export function unknownPlaceholders(text: string): string[] {
  return [...text.matchAll(PLACEHOLDER)].map((m) => m[1] ?? '').filter((name) => !KNOWN.test(name));
}

/** The `NAME`s of every `{{param.NAME}}` in `text`. */
export function paramsUsed(text: string): string[] {
  return [...text.matchAll(PLACEHOLDER)].map((m) => m[1] ?? '').filter((n) => n.startsWith('param.')).map((n) => n.slice('param.'.length));
}

/** The value of one placeholder. A `{{param.X}}` without a value is a usage error naming `--param X=…`. */
function valueOf(raw: string, values: TemplateValues): string {
  if (raw === 'period') return values.period;
  if (raw === 'output' && values.output !== undefined) return values.output;
  if (raw === 'run' && values.run !== undefined) return values.run;
  if (raw.startsWith('param.')) {
    const name = raw.slice('param.'.length);
    const value = Object.hasOwn(values.params, name) ? values.params[name] : undefined;
    if (value === undefined) throw new UsageError(`this pipeline needs --param ${name}=…`);
    return value;
  }
  throw new UsageError(`unknown placeholder {{${raw}}}`);
}

/**
 * Renders one catalog string as text: for engine parameters, step arguments and the like, which
 * reach the engine as values of their own. Never for SQL (`bindSqlTemplate`) and never for a
 * dataset location (`renderPath`).
 */
export function renderTemplate(text: string, values: TemplateValues): string {
  return text.replace(PLACEHOLDER, (_match, raw: string) => valueOf(raw, values));
}

export function renderMap(map: Record<string, string>, values: TemplateValues): Record<string, string> {
  return Object.fromEntries(Object.entries(map).map(([k, v]) => [k, renderTemplate(v, values)]));
}

/**
 * Where a `path:` template's fixed part ends: everything before its first placeholder. For a URL
 * (`s3://bucket/…`) the scheme and the bucket must lie in it, and a local path must not start with
 * a placeholder: a value may then choose a folder inside the declared location, never another
 * scheme, bucket or root. Returns the problem in words, or undefined (used by catalog validation).
 */
export function pathTemplateProblem(template: string): string | undefined {
  const first = template.search(/\{\{/);
  if (first < 0) return undefined;
  const fixed = template.slice(0, first);
  const url = /^[a-z][a-z0-9+.-]*:\/\/[^/]+\//i.exec(template);
  if (/^[a-z][a-z0-9+.-]*:/i.test(template) || /:\/\//.test(fixed)) {
    if (!url || url[0].length > first) return 'a placeholder may not stand in the scheme or the bucket of a path: put it after "<scheme>://<bucket>/"';
    return undefined;
  }
  if (fixed.length === 0) return 'a path may not start with a placeholder: begin it with the folder the output lives in';
  return undefined;
}

/**
 * Renders a dataset location and checks the result against the template's fixed part: the
 * substituted values may not climb out of it (`..`), and may not hold control characters. The
 * fixed part itself (scheme, bucket, root) was checked when the catalog was loaded.
 */
export function renderPath(template: string, values: TemplateValues): string {
  const rendered = renderTemplate(template, values);
  const first = template.search(/\{\{/);
  if (first < 0) return rendered;
  // The segments from the one holding the first placeholder on are the ones values can shape.
  const start = template.lastIndexOf('/', first) + 1;
  const shaped = rendered.slice(start).split(/[/\\]/);
  if (shaped.some((segment) => segment === '..')) {
    throw new UsageError(`a parameter value would make the path ${JSON.stringify(rendered)} leave ${JSON.stringify(template.slice(0, first))}: ".." is not allowed`);
  }
  if (hasControlCharacter(rendered.slice(first))) throw new UsageError('a parameter value in a path holds a control character');
  return rendered;
}

/** A SQL check with its values as bound parameters: `sql` holds markers, `values` what they stand for. */
export interface BoundSql {
  sql: string;
  /** Marker name (without its `$` or `:`) → value. */
  values: Record<string, string>;
}

interface SqlPart {
  /** Text outside any literal, identifier or comment (placeholders may appear only here). */
  code: boolean;
  text: string;
}

/**
 * Splits SQL into code and the parts a placeholder must never be in: '…' strings (with '' and
 * backslash escapes), "…" and `…` identifiers, $$…$$ / $tag$…$tag$ strings, -- and /* comments.
 * One lexer for both dialects: a construct that is a string in either counts as one.
 */
function splitSql(sql: string): SqlPart[] {
  const parts: SqlPart[] = [];
  let code = '';
  let i = 0;
  const flush = () => {
    if (code) parts.push({ code: true, text: code });
    code = '';
  };
  const quoted = (end: number) => {
    flush();
    parts.push({ code: false, text: sql.slice(i, end) });
    i = end;
  };
  while (i < sql.length) {
    const c = sql[i]!;
    const two = sql.slice(i, i + 2);
    if (c === "'" || c === '"' || c === '`') {
      let j = i + 1;
      while (j < sql.length) {
        if (sql[j] === '\\' && c === "'") j += 2;
        else if (sql[j] === c && sql[j + 1] === c) j += 2;
        else if (sql[j] === c) break;
        else j++;
      }
      quoted(Math.min(j + 1, sql.length));
    } else if (two === '--') {
      const nl = sql.indexOf('\n', i);
      quoted(nl < 0 ? sql.length : nl);
    } else if (two === '/*') {
      const end = sql.indexOf('*/', i + 2);
      quoted(end < 0 ? sql.length : end + 2);
    } else if (c === '$' && /^\$[A-Za-z_]*\$/.test(sql.slice(i))) {
      const tag = /^\$[A-Za-z_]*\$/.exec(sql.slice(i))![0];
      const end = sql.indexOf(tag, i + tag.length);
      quoted(end < 0 ? sql.length : end + tag.length);
    } else {
      code += c;
      i++;
    }
  }
  flush();
  return parts;
}

/**
 * Value placeholders (`{{period}}`, `{{param.X}}`) that sit inside a quoted SQL string, a quoted
 * identifier or a comment, where a bound value cannot go: a catalog error at load time.
 */
export function quotedSqlPlaceholders(sql: string): string[] {
  return splitSql(sql)
    .filter((p) => !p.code)
    .flatMap((p) => [...p.text.matchAll(PLACEHOLDER)].map((m) => m[1] ?? ''))
    .filter((name) => name !== 'output');
}

/**
 * A SQL check template with `{{output}}` replaced by the relation (an identifier Cutover quoted)
 * and every `{{period}}` / `{{param.X}}` replaced by a named parameter marker (`marker(name)`:
 * DuckDB `$name`, Databricks `:name`), never by the value's text. Placeholders inside quotes or
 * comments are refused here too, in case a catalog skipped validation.
 */
export function bindSqlTemplate(sql: string, values: TemplateValues, marker: (name: string) => string): BoundSql {
  const quoted = quotedSqlPlaceholders(sql);
  if (quoted.length > 0) throw new UsageError(`{{${quoted[0]}}} is inside a quoted SQL string or comment: write it without quotes, it is bound as a value`);
  const bound: Record<string, string> = {};
  const names = new Map<string, string>();
  const nameFor = (raw: string): string => {
    const known = names.get(raw);
    if (known) return known;
    const base = raw.replace(/[^A-Za-z0-9_]/g, '_');
    let name = base;
    for (let n = 2; Object.hasOwn(bound, name); n++) name = `${base}_${n}`;
    bound[name] = valueOf(raw, values);
    names.set(raw, name);
    return name;
  };
  const text = sql.replace(PLACEHOLDER, (_match, raw: string) => {
    if (raw === 'output') return valueOf(raw, values);
    return marker(nameFor(raw));
  });
  return { sql: text, values: bound };
}
