import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { AwsError, AwsFakeServer, canonicalJson, checkString, required } from './aws-fake-server.ts';
import { parseUnload, redshiftColumn, writeUnload, type ResultColumn, type UnloadTarget } from './redshift-unload.ts';

/**
 * A fake Amazon Redshift Data API (botocore `redshift-data/2019-12-20`: AWS JSON 1.1, target
 * prefix `RedshiftData`) whose statements really run, on the machine's PostgreSQL
 * (127.0.0.1:5432, database `test`): a `CALL schema.proc(:period)` executes the procedure. Named
 * parameters (`:name`, outside quotes, comments and `::` casts) are bound as PostgreSQL `$n`
 * parameters, never pasted, as Redshift binds them.
 *
 * It refuses what the service refuses (`ValidationException`): no `Sql`; neither or both of `ClusterIdentifier` and `WorkgroupName`;
 * no `Database`; `SecretArn` with `DbUser`, or `DbUser` with a workgroup; identifiers outside their
 * patterns; an empty `Parameters` list, a parameter without a name or with an empty value, a
 * `:name` in the SQL without a parameter; a `ClientToken` outside 1–64 characters, or one used
 * before with other parameters. The same token with the same request answers the first
 * statement's id and runs nothing. Unknown ids are `ResourceNotFoundException`.
 *
 * Sessions: `SessionKeepAliveSeconds` (0–86400) opens one on a connection of its own, whose id
 * later statements pass as `SessionId` instead of the cluster and database (so a temp table
 * lives on between them); an unknown or expired session is refused. A session is kept for its
 * keep-alive after each statement finishes (never while one runs), then closed and its connection
 * released. Capacity is answered, never waited for: a new session beyond `maxSessions` is
 * `ActiveSessionsExceededException`, a statement outside a session beyond `maxStatements` running
 * is `ActiveStatementsExceededException` (both HTTP 400 client faults with a `Message`, as in the
 * service model; the limits are the fake's, Redshift's are far higher). The pool has a connection
 * for each, plus two for CancelStatement, ListDatabases and a test's own queries. `UNLOAD ('…') TO 's3://…'`
 * runs its query here and writes the files into the fake S3 as Redshift would (see
 * redshift-unload.ts); `parquet: false` plays a cluster that refuses FORMAT PARQUET.
 * `GetStatementResult` pages a finished statement's rows as the Data API's typed fields.
 */

export interface StatementRecord {
  Id: string;
  token?: string;
  request: string;
  sql: string;
  parameters: Array<{ name: string; value: string }>;
  database: string;
  clusterIdentifier?: string;
  workgroupName?: string;
  status: 'SUBMITTED' | 'STARTED' | 'FINISHED' | 'FAILED' | 'ABORTED';
  error?: string;
  created: Date;
  updated: Date;
  pid?: number;
  queryId: number;
  result?: { fields: ResultColumn[]; rows: (string | null)[][]; rowCount: number };
  sessionId?: string;
  cancelRequested?: boolean;
  done: Promise<void>;
}

export interface FakeRedshiftDataOptions {
  /** PostgreSQL connection; default 127.0.0.1:5432, database `test`, user `postgres` (trust auth). */
  connection?: pg.PoolConfig;
  /** Where UNLOAD writes: the fake S3. Without it an UNLOAD fails as one without access would. */
  s3?: UnloadTarget;
  /** False: FORMAT PARQUET is refused, as by a cluster that cannot write it. Default true. */
  parquet?: boolean;
  /** Rows per GetStatementResult page. Default 1000. */
  pageSize?: number;
  /** Sessions open at once; one more is ActiveSessionsExceededException. Default 6. */
  maxSessions?: number;
  /** Statements outside a session running at once; one more is ActiveStatementsExceededException. Default 4. */
  maxStatements?: number;
  /** Milliseconds a keep-alive second lasts, so a test can watch a session lapse. Default 1000. */
  msPerKeepAliveSecond?: number;
}

interface Session {
  id: string;
  client: Promise<pg.PoolClient>;
  keepAlive: number;
  /** Statements of a session run one after the other, on its connection. */
  tail: Promise<void>;
  /** Statements submitted and not yet finished: while any is, the session does not lapse. */
  pending: number;
  expires: number;
  /** When its last statement finished, and the longest wait from a finish to the next statement. */
  idleSince?: number;
  longestGapMs: number;
  timer?: NodeJS.Timeout;
  database: string;
  clusterIdentifier?: string;
  workgroupName?: string;
}

/** Every value as PostgreSQL's text, which for the types the fake knows is how Redshift renders it. */
const RAW_TEXT = { getTypeParser: () => (value: string) => value } as unknown as pg.CustomTypesConfig;

const CLUSTER = /^[a-z]([a-z0-9]|-[a-z0-9])*$/;
const WORKGROUP = /^(([a-z0-9-]+)|(arn:(aws(-[a-z]+)*):redshift-serverless:[a-z]{2}(-gov)?-[a-z]+-\d{1}:\d{12}:workgroup\/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}))$/;
const UUID = /^[a-z0-9]{8}(-[a-z0-9]{4}){3}-[a-z0-9]{12}(:\d+)?$/;

export class FakeRedshiftData extends AwsFakeServer {
  readonly pool: pg.Pool;
  private statements = new Map<string, StatementRecord>();
  private sessions = new Map<string, Session>();
  private queryIds = 1000;
  private running = 0;
  private readonly options: FakeRedshiftDataOptions;
  private readonly maxSessions: number;
  private readonly maxStatements: number;
  /** Every session ever opened, to read their gaps after they closed. */
  private readonly history: Session[] = [];

  constructor(options: FakeRedshiftDataOptions = {}) {
    super({ kind: 'json', targetPrefix: 'RedshiftData', jsonVersion: '1.1' });
    this.options = options;
    this.maxSessions = options.maxSessions ?? 6;
    this.maxStatements = options.maxStatements ?? 4;
    // A connection for every session and statement the limits allow, so none ever waits for one.
    this.pool = new pg.Pool({ host: '127.0.0.1', port: 5432, database: 'test', user: 'postgres', max: this.maxSessions + this.maxStatements + 2, ...options.connection });
  }

  /** Plays a cluster that can (or cannot) write Parquet. */
  setParquet(supported: boolean): void {
    this.options.parquet = supported;
  }

  override async close(): Promise<void> {
    await super.close();
    await Promise.allSettled([...this.statements.values()].map((s) => s.done));
    for (const s of this.sessions.values()) this.endSession(s);
    await this.pool.end();
  }

  /** Sessions still open (not expired): a caller that is done should leave none behind for long. */
  openSessions(): string[] {
    return [...this.sessions.keys()];
  }

  /**
   * The longest time, over every session opened, from one of its statements finishing to the
   * caller's next statement in it: what a keep-alive must cover.
   */
  longestSessionGapMs(): number {
    return Math.max(0, ...this.history.map((s) => s.longestGapMs));
  }

  /** Every statement the fake accepted (one per distinct client token), oldest first. */
  list(): StatementRecord[] {
    return [...this.statements.values()];
  }

  protected dispatch(operation: string, input: Record<string, unknown>): unknown {
    switch (operation) {
      case 'ExecuteStatement':
        return this.execute(input);
      case 'DescribeStatement':
        return this.describe(this.statement(input.Id));
      case 'CancelStatement':
        return this.cancel(this.statement(input.Id));
      case 'GetStatementResult':
        return this.resultPage(input);
      case 'ListDatabases':
        return this.listDatabases(input);
      default:
        throw new AwsError('UnknownOperationException', `${operation} is not supported by the fake`);
    }
  }

  private execute(input: Record<string, unknown>): unknown {
    const sql = required<string>(input, 'Sql');
    const keepAlive = input.SessionKeepAliveSeconds;
    if (keepAlive !== undefined && (typeof keepAlive !== 'number' || !Number.isInteger(keepAlive) || keepAlive < 0 || keepAlive > 86_400)) {
      throw new AwsError('ValidationException', `1 validation error detected: Value '${String(keepAlive)}' at 'sessionKeepAliveSeconds' failed to satisfy constraint: Member must have value between 0 and 86400`);
    }
    const session = input.SessionId !== undefined ? this.session(input.SessionId) : undefined;
    if (session && (input.ClusterIdentifier || input.WorkgroupName || input.Database || input.SecretArn || input.DbUser)) {
      throw new AwsError('ValidationException', 'A statement in a session (SessionId) takes no ClusterIdentifier, WorkgroupName, Database, SecretArn or DbUser: the session has them');
    }
    const cluster = session ? session.clusterIdentifier : (input.ClusterIdentifier as string | undefined);
    const workgroup = session ? session.workgroupName : (input.WorkgroupName as string | undefined);
    if (Boolean(cluster) === Boolean(workgroup)) throw new AwsError('ValidationException', 'Either ClusterIdentifier or WorkgroupName must be specified, but not both');
    checkString('ClusterIdentifier', cluster, { min: 1, max: 63, pattern: CLUSTER });
    checkString('WorkgroupName', workgroup, { min: 3, max: 128, pattern: WORKGROUP });
    const database = session ? session.database : required<string>(input, 'Database');
    if (input.SecretArn && input.DbUser) throw new AwsError('ValidationException', 'SecretArn and DbUser cannot both be specified');
    if (workgroup && input.DbUser) throw new AwsError('ValidationException', 'DbUser is not supported for serverless workgroups');
    checkString('ClientToken', input.ClientToken, { min: 1, max: 64 });
    checkString('StatementName', input.StatementName, { max: 500 });
    const parameters = this.parameters(input.Parameters);
    const bound = toPositional(sql, parameters);

    const token = input.ClientToken as string | undefined;
    const { ClientToken: _t, ...rest } = input;
    const request = canonicalJson(rest);
    const earlier = token ? [...this.statements.values()].find((s) => s.token === token) : undefined;
    if (earlier) {
      if (earlier.request !== request) throw new AwsError('ValidationException', `ClientToken ${token} was already used with different parameters`);
      return this.executed(earlier);
    }
    const now = new Date();
    const st: StatementRecord = {
      Id: randomUUID(),
      token,
      request,
      sql,
      parameters,
      database,
      clusterIdentifier: cluster,
      workgroupName: workgroup,
      status: 'SUBMITTED',
      created: now,
      updated: now,
      queryId: ++this.queryIds,
      done: Promise.resolve(),
    };
    if (session) {
      st.sessionId = session.id;
      this.busy(session);
      st.done = session.tail = session.tail.then(() => this.run(st, bound, session));
    } else if (keepAlive !== undefined && keepAlive > 0) {
      if (this.sessions.size >= this.maxSessions) throw new AwsError('ActiveSessionsExceededException', `The maximum number of active sessions (${this.maxSessions}) was exceeded`);
      // A new session: its id is answered with the statement's.
      const s: Session = { id: randomUUID(), client: this.pool.connect(), keepAlive, tail: Promise.resolve(), pending: 0, expires: Infinity, longestGapMs: 0, database, clusterIdentifier: cluster, workgroupName: workgroup };
      s.client.catch(() => undefined);
      this.sessions.set(s.id, s);
      this.history.push(s);
      st.sessionId = s.id;
      this.busy(s);
      st.done = s.tail = this.run(st, bound, s);
    } else {
      if (this.running >= this.maxStatements) throw new AwsError('ActiveStatementsExceededException', `The number of active statements exceeds the limit (${this.maxStatements})`);
      this.running++;
      st.done = this.run(st, bound).finally(() => this.running--);
    }
    this.statements.set(st.Id, st);
    return this.executed(st);
  }

  private endSession(s: Session): void {
    if (s.timer) clearTimeout(s.timer);
    if (!this.sessions.delete(s.id)) return;
    s.client.then((c) => c.release(true)).catch(() => undefined);
  }

  /** A statement was submitted to the session: it does not lapse until that statement finishes. */
  private busy(s: Session): void {
    if (s.timer) clearTimeout(s.timer);
    s.timer = undefined;
    s.expires = Infinity;
    s.pending++;
    if (s.idleSince !== undefined) s.longestGapMs = Math.max(s.longestGapMs, Date.now() - s.idleSince);
  }

  /** Runs the statement on a connection of its own, or its session's, as the Data API does. */
  private async run(st: StatementRecord, bound: { text: string; values: string[] }, session?: Session): Promise<void> {
    let client: pg.PoolClient | undefined;
    try {
      client = session ? await session.client : await this.pool.connect();
      st.pid = (await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid;
      Object.assign(st, { status: 'STARTED', updated: new Date() });
      const unload = parseUnload(bound.text);
      const query = unload ? unload.select : bound.text;
      const r = await client.query({ text: query, values: unload ? [] : bound.values, rowMode: 'array', types: RAW_TEXT });
      const fields = r.fields.map((f) => ({ name: f.name, dataTypeID: f.dataTypeID, dataTypeModifier: f.dataTypeModifier }));
      const rows = r.rows as (string | null)[][];
      if (unload) {
        if (unload.format === 'parquet' && this.options.parquet === false) throw new Error('ERROR: UNLOAD to Parquet format is not supported by this cluster');
        if (!this.options.s3) throw new Error(`ERROR: S3ServiceException: Access Denied writing to ${unload.to}`);
        const n = await writeUnload(unload, fields, rows, this.options.s3);
        st.result = { fields: [], rows: [], rowCount: n };
      } else {
        st.result = { fields, rows, rowCount: r.rowCount ?? rows.length };
      }
      Object.assign(st, { status: 'FINISHED', updated: new Date() });
    } catch (err) {
      const e = err as pg.DatabaseError;
      const message = e.message.startsWith('ERROR:') ? e.message : `ERROR: ${e.message}`;
      const lines = [message, e.detail && `DETAIL: ${e.detail}`, e.where && `CONTEXT: ${e.where}`, e.hint && `HINT: ${e.hint}`].filter(Boolean);
      Object.assign(st, { status: st.cancelRequested ? 'ABORTED' : 'FAILED', error: lines.join('\n'), updated: new Date() });
    } finally {
      if (session) this.finished(session);
      else client?.release();
    }
  }

  /**
   * The session lives on for its keep-alive after its last statement finishes, then closes (its
   * temp tables with it) and gives its connection back.
   */
  private finished(s: Session): void {
    if (--s.pending > 0) return;
    const ms = s.keepAlive * (this.options.msPerKeepAliveSecond ?? 1000);
    s.idleSince = Date.now();
    s.expires = s.idleSince + ms;
    s.timer = setTimeout(() => this.endSession(s), ms);
    s.timer.unref();
  }

  private session(id: unknown): Session {
    checkString('SessionId', id, { pattern: UUID });
    const s = this.sessions.get(String(id));
    if (!s || s.expires < Date.now()) throw new AwsError('ValidationException', `Session ${String(id)} is not active: it expired or never existed`);
    return s;
  }

  private executed(st: StatementRecord): unknown {
    return { Id: st.Id, CreatedAt: st.created, Database: st.database, ClusterIdentifier: st.clusterIdentifier, WorkgroupName: st.workgroupName, SessionId: st.sessionId };
  }

  /**
   * The databases of the cluster or workgroup, signing in as ExecuteStatement would (the same
   * members and the same refusals); `Database` is the one connected to and must exist.
   */
  private async listDatabases(input: Record<string, unknown>): Promise<unknown> {
    const cluster = input.ClusterIdentifier as string | undefined;
    const workgroup = input.WorkgroupName as string | undefined;
    if (Boolean(cluster) === Boolean(workgroup)) throw new AwsError('ValidationException', 'Either ClusterIdentifier or WorkgroupName must be specified, but not both');
    checkString('ClusterIdentifier', cluster, { min: 1, max: 63, pattern: CLUSTER });
    checkString('WorkgroupName', workgroup, { min: 3, max: 128, pattern: WORKGROUP });
    const database = required<string>(input, 'Database');
    if (input.SecretArn && input.DbUser) throw new AwsError('ValidationException', 'SecretArn and DbUser cannot both be specified');
    if (workgroup && input.DbUser) throw new AwsError('ValidationException', 'DbUser is not supported for serverless workgroups');
    const max = input.MaxResults;
    if (max !== undefined && (typeof max !== 'number' || max < 0 || max > 1000)) throw new AwsError('ValidationException', `1 validation error detected: Value '${String(max)}' at 'maxResults' failed to satisfy constraint: Member must have value between 0 and 1000`);
    const names = (await this.pool.query<{ datname: string }>('SELECT datname FROM pg_database WHERE NOT datistemplate ORDER BY datname')).rows.map((r) => r.datname);
    // The fake's databases are PostgreSQL's; `dev`, Redshift's default, is always there.
    const all = [...new Set(['dev', ...names])].sort();
    if (!all.includes(database)) throw new AwsError('DatabaseConnectionException', `FATAL: database "${database}" does not exist`, 500);
    return { Databases: max ? all.slice(0, max as number) : all };
  }

  /** One page of a finished statement's rows, as typed Data API fields with Redshift's column metadata. */
  private resultPage(input: Record<string, unknown>): unknown {
    const st = this.statement(required(input, 'Id'));
    if (st.status !== 'FINISHED' || !st.result || st.result.fields.length === 0) throw new AwsError('ValidationException', `Query does not have result. Please check query status with DescribeStatement: ${st.Id}`);
    const { fields, rows } = st.result;
    const start = input.NextToken ? Number(Buffer.from(String(input.NextToken), 'base64').toString('utf8')) : 0;
    if (!Number.isInteger(start) || start < 0 || start > rows.length) throw new AwsError('ValidationException', 'Invalid NextToken');
    const size = this.options.pageSize ?? 1000;
    const columns = fields.map((f) => ({ field: f, ...redshiftColumn(f) }));
    const records = rows.slice(start, start + size).map((r) =>
      r.map((v, i) => {
        if (v === null) return { isNull: true };
        const t = columns[i]!.typeName;
        if (t === 'int2' || t === 'int4' || t === 'int8') return { longValue: Number(v) };
        if (t === 'float4' || t === 'float8') return { doubleValue: Number(v) };
        if (t === 'bool') return { booleanValue: v === 't' };
        return { stringValue: v };
      }),
    );
    return {
      Records: records,
      ColumnMetadata: columns.map((c) => ({ name: c.field.name, label: c.field.name, typeName: c.typeName, precision: c.precision ?? 0, scale: c.scale ?? 0, nullable: 1 })),
      TotalNumRows: rows.length,
      NextToken: start + size < rows.length ? Buffer.from(String(start + size)).toString('base64') : undefined,
    };
  }

  private describe(st: StatementRecord): unknown {
    return {
      Id: st.Id,
      Status: st.status,
      Error: st.error,
      QueryString: st.sql,
      QueryParameters: st.parameters.length > 0 ? st.parameters : undefined,
      Database: st.database,
      ClusterIdentifier: st.clusterIdentifier,
      WorkgroupName: st.workgroupName,
      CreatedAt: st.created,
      UpdatedAt: st.updated,
      RedshiftPid: st.pid,
      RedshiftQueryId: st.status === 'SUBMITTED' ? undefined : st.queryId,
      HasResultSet: Boolean(st.result?.fields.length),
      ResultRows: st.result ? st.result.rowCount : -1,
      SessionId: st.sessionId,
      Duration: (st.updated.getTime() - st.created.getTime()) * 1e6,
    };
  }

  private async cancel(st: StatementRecord): Promise<unknown> {
    if (st.status === 'FINISHED' || st.status === 'FAILED' || st.status === 'ABORTED') {
      throw new AwsError('ValidationException', `Could not cancel a query that is already in ${st.status} state with ID: ${st.Id}`);
    }
    st.cancelRequested = true;
    if (st.pid) await this.pool.query('SELECT pg_cancel_backend($1)', [st.pid]);
    return { Status: true };
  }

  private parameters(raw: unknown): Array<{ name: string; value: string }> {
    if (raw === undefined) return [];
    if (!Array.isArray(raw) || raw.length === 0) throw new AwsError('ValidationException', "Value '[]' at 'parameters' failed to satisfy constraint: Member must have length greater than or equal to 1");
    return raw.map((p: { name?: unknown; value?: unknown }, i) => {
      const name = required<string>(p as Record<string, unknown>, 'name');
      const value = required<string>(p as Record<string, unknown>, 'value');
      checkString(`parameters.${i + 1}.member.name`, name, { pattern: /^[0-9a-zA-Z_]+$/ });
      checkString(`parameters.${i + 1}.member.value`, value, { min: 1 });
      return { name, value };
    });
  }

  private statement(id: unknown): StatementRecord {
    checkString('Id', id ?? '', { pattern: UUID });
    const st = this.statements.get(String(id).replace(/:\d+$/, ''));
    if (!st) throw new AwsError('ResourceNotFoundException', `Query does not exist: ${String(id)}`);
    return st;
  }
}

/**
 * `:name` markers → PostgreSQL `$n`, skipping '…' strings, "…" identifiers, $tag$…$tag$ bodies,
 * comments and `::` casts. A marker without a parameter is refused, as Redshift does.
 */
export function toPositional(sql: string, parameters: Array<{ name: string; value: string }>): { text: string; values: string[] } {
  const given = new Map(parameters.map((p) => [p.name, p.value]));
  const order: string[] = [];
  let text = '';
  let i = 0;
  const copyUntil = (end: number) => {
    text += sql.slice(i, end);
    i = end;
  };
  while (i < sql.length) {
    const c = sql[i]!;
    const rest = sql.slice(i);
    if (c === "'" || c === '"') {
      let j = i + 1;
      while (j < sql.length && !(sql[j] === c && sql[j + 1] !== c)) j += sql[j] === c ? 2 : 1;
      copyUntil(Math.min(j + 1, sql.length));
    } else if (rest.startsWith('--')) {
      const nl = sql.indexOf('\n', i);
      copyUntil(nl < 0 ? sql.length : nl);
    } else if (rest.startsWith('/*')) {
      const end = sql.indexOf('*/', i + 2);
      copyUntil(end < 0 ? sql.length : end + 2);
    } else if (/^\$[A-Za-z_]*\$/.test(rest)) {
      const tag = /^\$[A-Za-z_]*\$/.exec(rest)![0];
      const end = sql.indexOf(tag, i + tag.length);
      copyUntil(end < 0 ? sql.length : end + tag.length);
    } else if (rest.startsWith('::')) {
      copyUntil(i + 2);
    } else if (/^:[A-Za-z0-9_]/.test(rest)) {
      const name = /^:([A-Za-z0-9_]+)/.exec(rest)![1]!;
      if (!given.has(name)) throw new AwsError('ValidationException', `The parameter :${name} in the SQL has no value in Parameters`);
      if (!order.includes(name)) order.push(name);
      text += `$${order.indexOf(name) + 1}`;
      i += name.length + 1;
    } else {
      copyUntil(i + 1);
    }
  }
  return { text, values: order.map((n) => given.get(n)!) };
}
