import { AwsError, AwsFakeServer, checkString, required } from './aws-fake-server.ts';

/**
 * A fake AWS Glue Data Catalog (botocore `glue/2017-03-31`: AWS JSON 1.1, target prefix
 * `AWSGlue`) serving GetTable and GetPartitions from tables the test declares.
 *
 * It refuses what the service refuses, with Glue's own error codes: a missing `DatabaseName`,
 * `Name`/`TableName` (InvalidInputException); names or a `CatalogId` outside 1–255 characters;
 * `MaxResults` outside 1–1000; a `Segment` without both members, `TotalSegments` outside 1–10 or
 * a `SegmentNumber` not below it; an `Expression` longer than 2048 characters or one it cannot
 * parse, or naming a column that is not a partition key. Unknown databases and tables are
 * EntityNotFoundException. Expressions are evaluated as Glue does (formats.md 6): `= <> != < <=
 * > >=`, `AND`, `OR`, `NOT`, parentheses, `IN (…)`, `BETWEEN … AND …`, `LIKE`; a quoted literal
 * compares as text, a numeric key against a bare number as a number.
 */

export interface FakeColumn {
  Name: string;
  Type: string;
}

export interface FakeTable {
  Name: string;
  TableType?: string;
  Parameters?: Record<string, string>;
  PartitionKeys?: FakeColumn[];
  StorageDescriptor?: {
    Columns?: FakeColumn[];
    Location?: string;
    InputFormat?: string;
    OutputFormat?: string;
    SerdeInfo?: { SerializationLibrary?: string; Parameters?: Record<string, string> };
    Parameters?: Record<string, string>;
  };
}

export interface FakeGlueOptions {
  /** Partitions per GetPartitions page when MaxResults is not given (Glue's own page size varies). */
  pageSize?: number;
}

interface StoredPartition {
  Values: string[];
  Location: string;
}

const NAME = { min: 1, max: 255 };

export class FakeGlue extends AwsFakeServer {
  private tables = new Map<string, { table: FakeTable; database: string; partitions: StoredPartition[] }>();
  private databases = new Set<string>();

  constructor(private readonly options: FakeGlueOptions = {}) {
    super({ kind: 'json', targetPrefix: 'AWSGlue', jsonVersion: '1.1' });
  }

  addTable(database: string, table: FakeTable): void {
    this.databases.add(database);
    this.tables.set(`${database}.${table.Name}`, { table, database, partitions: [] });
  }

  /** A partition of a declared table: its values in PartitionKeys order and its folder. */
  addPartition(database: string, table: string, values: string[], location: string): void {
    const t = this.tables.get(`${database}.${table}`);
    if (!t) throw new Error(`no table ${database}.${table}`);
    t.partitions.push({ Values: values, Location: location });
  }

  protected dispatch(operation: string, input: Record<string, unknown>): unknown {
    switch (operation) {
      case 'GetTable':
        return this.getTable(input);
      case 'GetPartitions':
        return this.getPartitions(input);
      default:
        throw new AwsError('UnknownOperationException', `${operation} is not supported by the fake`);
    }
  }

  private lookup(input: Record<string, unknown>, nameMember: 'Name' | 'TableName') {
    const database = required<string>(input, 'DatabaseName', 'InvalidInputException');
    const name = required<string>(input, nameMember, 'InvalidInputException');
    checkString('databaseName', database, NAME, 'InvalidInputException');
    checkString(nameMember === 'Name' ? 'name' : 'tableName', name, NAME, 'InvalidInputException');
    checkString('catalogId', input.CatalogId, NAME, 'InvalidInputException');
    if (!this.databases.has(database.toLowerCase())) throw new AwsError('EntityNotFoundException', `Database ${database} not found.`);
    // Glue stores names in lower case and finds them whatever the case asked for.
    const t = this.tables.get(`${database.toLowerCase()}.${name.toLowerCase()}`);
    if (!t) throw new AwsError('EntityNotFoundException', `Table ${name} not found.`);
    return t;
  }

  private getTable(input: Record<string, unknown>): unknown {
    const t = this.lookup(input, 'Name');
    const { table } = t;
    return {
      Table: {
        ...table,
        DatabaseName: t.database,
        CatalogId: (input.CatalogId as string | undefined) ?? '111122223333',
        TableType: table.TableType ?? 'EXTERNAL_TABLE',
        CreateTime: new Date('2026-01-01T00:00:00Z'),
        PartitionKeys: table.PartitionKeys ?? [],
        IsRegisteredWithLakeFormation: false,
      },
    };
  }

  private getPartitions(input: Record<string, unknown>): unknown {
    const t = this.lookup(input, 'TableName');
    const max = input.MaxResults;
    if (max !== undefined && (typeof max !== 'number' || !Number.isInteger(max) || max < 1 || max > 1000)) {
      throw new AwsError('InvalidInputException', `1 validation error detected: Value '${String(max)}' at 'maxResults' failed to satisfy constraint: Member must have value between 1 and 1000`);
    }
    const segment = input.Segment as { SegmentNumber?: unknown; TotalSegments?: unknown } | undefined;
    let segmentOf = { number: 0, total: 1 };
    if (segment !== undefined) {
      const number = required<number>(segment as Record<string, unknown>, 'SegmentNumber', 'InvalidInputException');
      const total = required<number>(segment as Record<string, unknown>, 'TotalSegments', 'InvalidInputException');
      if (!Number.isInteger(total) || total < 1 || total > 10) throw new AwsError('InvalidInputException', `1 validation error detected: Value '${total}' at 'segment.totalSegments' failed to satisfy constraint: Member must have value between 1 and 10`);
      if (!Number.isInteger(number) || number < 0 || number >= total) throw new AwsError('InvalidInputException', `Segment number ${number} must be less than total segments ${total}`);
      segmentOf = { number, total };
    }
    checkString('expression', input.Expression, { max: 2048 }, 'InvalidInputException');
    const keys = t.table.PartitionKeys ?? [];
    const test = input.Expression ? compileExpression(String(input.Expression), keys) : () => true;
    const matching = t.partitions.filter((p, i) => i % segmentOf.total === segmentOf.number && test(p.Values));
    const start = input.NextToken ? Number(Buffer.from(String(input.NextToken), 'base64').toString('utf8')) : 0;
    if (!Number.isInteger(start) || start < 0) throw new AwsError('InvalidInputException', 'Invalid NextToken');
    const size = (max as number | undefined) ?? this.options.pageSize ?? 1000;
    const page = matching.slice(start, start + size);
    const next = start + size < matching.length ? Buffer.from(String(start + size)).toString('base64') : undefined;
    const excludeSchema = input.ExcludeColumnSchema === true;
    return {
      Partitions: page.map((p) => ({
        Values: p.Values,
        DatabaseName: t.database,
        TableName: t.table.Name,
        CatalogId: '111122223333',
        CreationTime: new Date('2026-01-02T00:00:00Z'),
        StorageDescriptor: { ...(excludeSchema ? {} : { Columns: t.table.StorageDescriptor?.Columns ?? [] }), Location: p.Location, InputFormat: t.table.StorageDescriptor?.InputFormat, SerdeInfo: t.table.StorageDescriptor?.SerdeInfo },
      })),
      NextToken: next,
    };
  }
}

type Token = { kind: 'ident' | 'string' | 'number' | 'op' | 'word' | 'paren' | 'comma'; text: string };

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  const bad = () => new AwsError('InvalidInputException', `Unsupported expression '${text}'`);
  while (i < text.length) {
    const rest = text.slice(i);
    const ws = /^\s+/.exec(rest);
    if (ws) {
      i += ws[0].length;
      continue;
    }
    if (rest[0] === "'") {
      let j = i + 1;
      let value = '';
      for (;;) {
        if (j >= text.length) throw bad();
        if (text[j] === "'" && text[j + 1] === "'") {
          value += "'";
          j += 2;
        } else if (text[j] === "'") break;
        else value += text[j++];
      }
      tokens.push({ kind: 'string', text: value });
      i = j + 1;
      continue;
    }
    const m =
      /^(<>|!=|<=|>=|=|<|>)/.exec(rest) ?? /^-?\d+(\.\d+)?/.exec(rest) ?? /^[A-Za-z_][A-Za-z0-9_]*/.exec(rest) ?? /^`[^`]+`/.exec(rest) ?? /^[(),]/.exec(rest);
    if (!m) throw bad();
    const t = m[0];
    if (/^[(<>=!]/.test(t) && t !== '(') tokens.push({ kind: 'op', text: t });
    else if (t === '(' || t === ')') tokens.push({ kind: 'paren', text: t });
    else if (t === ',') tokens.push({ kind: 'comma', text: t });
    else if (/^-?\d/.test(t)) tokens.push({ kind: 'number', text: t });
    else if (/^(and|or|not|in|between|like|is|null)$/i.test(t)) tokens.push({ kind: 'word', text: t.toUpperCase() });
    else tokens.push({ kind: 'ident', text: t.replaceAll('`', '') });
    i += t.length;
  }
  return tokens;
}

/** The expression as a predicate on a partition's values; anything it cannot parse is refused as Glue does. */
export function compileExpression(text: string, keys: FakeColumn[]): (values: string[]) => boolean {
  const tokens = tokenize(text);
  let pos = 0;
  const bad = (why: string) => new AwsError('InvalidInputException', `Unsupported expression '${text}': ${why}`);
  const peek = () => tokens[pos];
  const take = () => tokens[pos++] ?? (() => { throw bad('unexpected end'); })();
  const word = (w: string) => peek()?.kind === 'word' && peek()?.text === w && (pos++, true);
  type Pred = (v: string[]) => boolean;
  const literal = (): { text: string; quoted: boolean } => {
    const t = take();
    if (t.kind === 'string') return { text: t.text, quoted: true };
    if (t.kind === 'number') return { text: t.text, quoted: false };
    throw bad(`expected a value, got ${t.text}`);
  };
  const compare = (index: number, numeric: boolean, lit: { text: string; quoted: boolean }) => (v: string[]) => {
    const a = v[index] ?? '';
    if (numeric && !lit.quoted) return Math.sign(Number(a) - Number(lit.text));
    return a < lit.text ? -1 : a > lit.text ? 1 : 0;
  };
  const factor = (): Pred => {
    if (word('NOT')) {
      const inner = factor();
      return (v) => !inner(v);
    }
    if (peek()?.kind === 'paren' && peek()?.text === '(') {
      pos++;
      const inner = expr();
      const close = take();
      if (close.text !== ')') throw bad('missing )');
      return inner;
    }
    const id = take();
    if (id.kind !== 'ident') throw bad(`expected a column, got ${id.text}`);
    const index = keys.findIndex((k) => k.Name.toLowerCase() === id.text.toLowerCase());
    if (index < 0) throw bad(`${id.text} is not a partition key`);
    const numeric = /^(int|integer|bigint|long|smallint|tinyint|decimal)/i.test(keys[index]!.Type);
    if (word('IN')) {
      if (take().text !== '(') throw bad('expected ( after IN');
      const list = [literal()];
      while (peek()?.kind === 'comma') {
        pos++;
        list.push(literal());
      }
      if (take().text !== ')') throw bad('missing )');
      return (v) => list.some((l) => compare(index, numeric, l)(v) === 0);
    }
    if (word('BETWEEN')) {
      const low = literal();
      if (!word('AND')) throw bad('BETWEEN needs AND');
      const high = literal();
      return (v) => compare(index, numeric, low)(v) >= 0 && compare(index, numeric, high)(v) <= 0;
    }
    if (word('LIKE')) {
      const pattern = literal().text;
      const re = new RegExp(`^${pattern.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replaceAll('%', '.*').replaceAll('_', '.')}$`, 's');
      return (v) => re.test(v[index] ?? '');
    }
    const op = take();
    if (op.kind !== 'op') throw bad(`expected an operator after ${id.text}`);
    const cmp = compare(index, numeric, literal());
    const ops: Record<string, (c: number) => boolean> = { '=': (c) => c === 0, '<>': (c) => c !== 0, '!=': (c) => c !== 0, '<': (c) => c < 0, '<=': (c) => c <= 0, '>': (c) => c > 0, '>=': (c) => c >= 0 };
    const f = ops[op.text]!;
    return (v) => f(cmp(v));
  };
  const term = (): Pred => {
    let left = factor();
    while (word('AND')) {
      const l = left;
      const r = factor();
      left = (v) => l(v) && r(v);
    }
    return left;
  };
  const expr = (): Pred => {
    let left = term();
    while (word('OR')) {
      const l = left;
      const r = term();
      left = (v) => l(v) || r(v);
    }
    return left;
  };
  const predicate = expr();
  if (pos < tokens.length) throw bad(`unexpected ${tokens[pos]!.text}`);
  return predicate;
}
