/**
 * Nested column types (structs, maps, lists) of both engines, parsed from the type text each
 * engine reports: DuckDB `STRUCT(a INTEGER, "b c" VARCHAR)`, `MAP(VARCHAR, INTEGER)`,
 * `INTEGER[]`; Databricks `struct<a:int,b:string>`, `map<string,int>`, `array<int>`.
 *
 * Comparison rules (src/diff/README.md): a struct is compared field by field by name, so a
 * struct whose fields only changed order holds the same values; a map is a set of entries,
 * compared in key order whatever order it was written in; a list keeps its order.
 */
export type NestedType =
  | { kind: 'struct'; fields: { name: string; type: NestedType }[] }
  | { kind: 'map'; key: NestedType; value: NestedType }
  | { kind: 'list'; element: NestedType }
  | { kind: 'scalar'; raw: string };

export function parseNested(raw: string): NestedType {
  const p = new Parser(raw);
  const t = p.type();
  return p.atEnd() ? t : { kind: 'scalar', raw };
}

export const isNested = (t: NestedType): boolean => t.kind !== 'scalar';

/**
 * The type with struct fields sorted by name: two types with the same signature hold values
 * that compare equal field by field. Scalars are compared by their upper-cased text.
 */
export function signature(t: NestedType): string {
  switch (t.kind) {
    case 'struct':
      return `STRUCT(${[...t.fields].sort((a, b) => cmp(a.name, b.name)).map((f) => `${JSON.stringify(f.name)} ${signature(f.type)}`).join(', ')})`;
    case 'map':
      return `MAP(${signature(t.key)}, ${signature(t.value)})`;
    case 'list':
      return `${signature(t.element)}[]`;
    case 'scalar':
      return normaliseScalar(t.raw);
  }
}

/** Spark and DuckDB names of the same scalar type agree after this (int/INTEGER, string/VARCHAR...). */
function normaliseScalar(raw: string): string {
  const name = raw.trim().toUpperCase().replace(/\s+/g, ' ');
  const alias: Record<string, string> = { INT: 'INTEGER', LONG: 'BIGINT', SHORT: 'SMALLINT', BYTE: 'TINYINT', STRING: 'VARCHAR', FLOAT: 'REAL', DOUBLE: 'DOUBLE' };
  return alias[name] ?? name.replace(/\s/g, '');
}

const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** SQL building blocks of one engine for canonicalNestedSql. */
export interface NestedSql {
  field(expr: string, name: string): string;
  struct(fields: { name: string; value: string }[]): string;
  /** The map's entries as a sorted list of {key, value} structs, entries canonicalised by `entry`. */
  sortedEntries(expr: string, variable: string, key: string, value: string): string;
  transform(expr: string, variable: string, body: string): string;
}

/**
 * SQL for a nested value in canonical form: structs rebuilt with fields in name order, maps as
 * their entries sorted by key, lists element by element. NULL stays NULL (a rebuilt struct of
 * NULL would otherwise be a struct of NULLs). Returns `expr` unchanged where nothing needs it.
 */
export function canonicalNestedSql(expr: string, t: NestedType, sql: NestedSql, depth = 0): string {
  const v = `x${depth}`;
  switch (t.kind) {
    case 'scalar':
      return expr;
    case 'struct': {
      const fields = [...t.fields].sort((a, b) => cmp(a.name, b.name)).map((f) => ({ name: f.name, value: canonicalNestedSql(sql.field(expr, f.name), f.type, sql, depth + 1) }));
      return `CASE WHEN ${expr} IS NULL THEN NULL ELSE ${sql.struct(fields)} END`;
    }
    case 'map':
      return sql.sortedEntries(expr, v, canonicalNestedSql(`${v}.key`, t.key, sql, depth + 1), canonicalNestedSql(`${v}.value`, t.value, sql, depth + 1));
    case 'list': {
      const body = canonicalNestedSql(v, t.element, sql, depth + 1);
      return body === v ? expr : sql.transform(expr, v, body);
    }
  }
}

/** A small recursive-descent parser over both engines' type syntax. */
class Parser {
  private i = 0;
  constructor(private readonly s: string) {}

  atEnd(): boolean {
    this.ws();
    return this.i >= this.s.length;
  }

  type(): NestedType {
    this.ws();
    let t = this.base();
    // DuckDB list suffixes: INTEGER[] and fixed-size INTEGER[3].
    for (;;) {
      this.ws();
      const m = /^\[\d*\]/.exec(this.s.slice(this.i));
      if (!m) return t;
      this.i += m[0].length;
      t = { kind: 'list', element: t };
    }
  }

  private base(): NestedType {
    const word = /^[A-Za-z_][A-Za-z0-9_]*/.exec(this.s.slice(this.i))?.[0] ?? '';
    const upper = word.toUpperCase();
    const after = this.s.slice(this.i + word.length).trimStart()[0];
    if ((upper === 'STRUCT' || upper === 'ROW') && (after === '(' || after === '<')) {
      this.i += word.length;
      const close = this.open();
      const fields: { name: string; type: NestedType }[] = [];
      while (!this.closes(close)) {
        const name = this.name();
        this.ws();
        if (this.s[this.i] === ':') this.i++;
        fields.push({ name, type: this.type() });
        this.comma();
      }
      return { kind: 'struct', fields };
    }
    if (upper === 'MAP' && (after === '(' || after === '<')) {
      this.i += word.length;
      const close = this.open();
      const key = this.type();
      this.comma();
      const value = this.type();
      this.closes(close);
      return { kind: 'map', key, value };
    }
    if (upper === 'ARRAY' && after === '<') {
      this.i += word.length;
      const close = this.open();
      const element = this.type();
      this.closes(close);
      return { kind: 'list', element };
    }
    // A scalar: up to the next separator at this level, parentheses (DECIMAL(18,2)) included.
    const start = this.i;
    let depth = 0;
    while (this.i < this.s.length) {
      const c = this.s[this.i] as string;
      if (c === '(') depth++;
      else if (c === ')') {
        if (depth === 0) break;
        depth--;
      } else if (depth === 0 && (c === ',' || c === '>' || c === '[')) break;
      this.i++;
    }
    return { kind: 'scalar', raw: this.s.slice(start, this.i).trim() };
  }

  private open(): string {
    this.ws();
    const c = this.s[this.i++];
    return c === '<' ? '>' : ')';
  }

  /** Consumes `close` when it is next; true then. */
  private closes(close: string): boolean {
    this.ws();
    if (this.i >= this.s.length) return true;
    if (this.s[this.i] === close) {
      this.i++;
      return true;
    }
    return false;
  }

  private comma(): void {
    this.ws();
    if (this.s[this.i] === ',') this.i++;
  }

  private name(): string {
    this.ws();
    const q = this.s[this.i];
    if (q === '"' || q === '`') {
      let out = '';
      this.i++;
      while (this.i < this.s.length) {
        const c = this.s[this.i++] as string;
        if (c === q) {
          if (this.s[this.i] === q) {
            out += q;
            this.i++;
          } else break;
        } else out += c;
      }
      return out;
    }
    const m = /^[^\s:,()<>]+/.exec(this.s.slice(this.i))?.[0] ?? '';
    this.i += m.length;
    return m;
  }

  private ws(): void {
    while (this.i < this.s.length && /\s/.test(this.s[this.i] as string)) this.i++;
  }
}
