import { readFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runChecks } from '../../../src/checks/index.ts';
import { main } from '../../../src/cli/main.ts';
import { parseCommand, SUBCOMMANDS } from '../../../src/commands/parse-command.ts';
import type { Pipeline } from '../../../src/config/catalog-schema.ts';
import { SqlStatementClient } from '../../../src/diff/index.ts';
import { startFakeSqlWarehouse, type FakeSqlWarehouse } from '../../fakes/databricks-sql-server.ts';
import { pipelineOf, tempDir, writeFiles } from '../../unit/checks/helpers.ts';
import { loadCatalog } from '../../../src/config/load-catalog.ts';
import { UsageError } from '../../../src/errors.ts';
import { FakeSlack } from '../../fakes/slack-server.ts';
import { eventually, SIGNING_SECRET, startAppProcess, type AppProcess } from '../../helpers/app-process.ts';
import { deletePrefix, testRedis, uniquePrefix } from '../../helpers/redis.ts';
import { postSigned, slashCommandBody } from '../../helpers/slack-requests.ts';
import { prng } from '../../unit/diff/helpers.ts';
import { CANARY, INJECTIONS, plantSecrets, randomInjections, withSecrets } from '../../helpers/injection-shapes.ts';

/**
 * Issue 4: 10,000 random and mutated `/pipeline` texts. The parser returns a command or a
 * UsageError, nothing else; through the real app (web role, signed requests) every one is
 * answered, none with a 5xx.
 */
const TOTAL = 10_000;
const SEED = Number(process.env.FUZZ_SEED ?? 20261121);
const CONCURRENCY = 24;
const catalog = loadCatalog('examples/pipelines.yaml');

const VALID = [
  'help',
  'list',
  'run incites-monthly --on databricks --period 2026-07 --param region=eu --env prod',
  'run billing-rollup',
  'parallel incites-monthly --period 2026-08',
  'status r-mwqhio5f-889ab1',
  'status incites-monthly',
  'cancel r-mwqhio5f-889ab1',
  'diff billing-rollup --period 2026-01',
  'dq incites-monthly --period 2026-02',
  'backfill incites-monthly --from 2025-01 --to 2025-06 --on emr --concurrency 3 --continue-on-failure',
  'history incites-monthly',
  'cutover incites-monthly',
  'cutover incites-monthly request parallel-clean',
  'audit incites-monthly',
  ...INJECTIONS.map((v) => `run incites-monthly --param "region=${v}"`),
];
const NOISE = ['--', '--period', '--param', '=', '==', '"', "'", '“', '`', '\\', '\n', '\t', '  ', 'ü', '🚀', '\u0000', '\u202e', '<@U0X>', '<!channel>', '&amp;', '9999-99', '2026-13', '0000-00', '-1', '1e9', 'NaN', 'r-', 'p-', '%s', '${x}', '__proto__', 'constructor', 'x'.repeat(3000)];

function makeTexts(): string[] {
  const rnd = prng(SEED);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
  const texts: string[] = [];
  for (let i = 0; i < TOTAL; i++) {
    const kind = rnd();
    if (kind < 0.15) {
      // Pure noise: random code points, from control characters to astral ones.
      texts.push(Array.from({ length: Math.floor(rnd() * 60) }, () => String.fromCodePoint(Math.floor(rnd() < 0.9 ? rnd() * 128 : rnd() * 0x10ffff) % 0x10ffff)).join('').replace(/[\ud800-\udfff]/g, '?'));
      continue;
    }
    if (kind < 0.3) {
      // Random tokens from the grammar's own words, in any order.
      texts.push(Array.from({ length: 1 + Math.floor(rnd() * 8) }, () => pick([...SUBCOMMANDS, ...NOISE, 'incites-monthly', '--on', 'emr', '--from', '--to', '--env', 'prod', 'request', 'rollback'])).join(' '));
      continue;
    }
    // A valid command, mutated a few times.
    let t = pick(VALID);
    for (let m = Math.floor(rnd() * 4); m > 0; m--) {
      const at = Math.floor(rnd() * (t.length + 1));
      const op = rnd();
      if (op < 0.3) t = t.slice(0, at) + t.slice(at + 1 + Math.floor(rnd() * 5));
      else if (op < 0.6) t = `${t.slice(0, at)}${pick(NOISE)}${t.slice(at)}`;
      else if (op < 0.8) t = t.split(' ').sort(() => rnd() - 0.5).join(' ');
      else t = `${t} ${t}`;
    }
    texts.push(t);
  }
  return texts;
}

const texts = makeTexts();
const RANDOM_INJECTIONS = randomInjections(SEED);

describe('/pipeline text fuzz', () => {
  it(`the parser answers ${TOTAL} texts with a command or a usage error (seed ${SEED})`, () => {
    const outcomes = { parsed: 0, usage: 0 };
    for (const text of texts) {
      try {
        const args = parseCommand(text, catalog, Date.UTC(2026, 10, 21));
        expect(SUBCOMMANDS).toContain(args.cmd);
        outcomes.parsed++;
      } catch (err) {
        if (!(err instanceof UsageError)) throw new Error(`"${JSON.stringify(text).slice(0, 200)}" threw ${String(err)}`, { cause: err });
        expect(err.message.length).toBeGreaterThan(0);
        outcomes.usage++;
      }
    }
    // Both paths were exercised in earnest.
    expect(outcomes.parsed).toBeGreaterThan(500);
    expect(outcomes.usage).toBeGreaterThan(2000);
  });

  it('finding 1: every injection shape (written and random) as a --param value gets the usage reply naming its pattern', () => {
    for (const v of [...INJECTIONS, ...RANDOM_INJECTIONS]) {
      let outcome: unknown;
      try {
        outcome = parseCommand(`run incites-monthly --param "region=${v.replaceAll('"', '')}"`, catalog, Date.UTC(2026, 10, 21));
      } catch (err) {
        outcome = err;
      }
      expect(outcome, v).toBeInstanceOf(UsageError);
    }
  });

  describe('through the app', () => {
    const slack = new FakeSlack({ usergroups: { S0DATAENG: ['U0DAN'] } });
    const redis = testRedis();
    const prefix = uniquePrefix('fuzz-cmd');
    let app: AppProcess;

    beforeAll(async () => {
      const slackUrl = await slack.start();
      // The web role: commands are parsed, answered and recorded; no worker runs anything.
      app = await startAppProcess({ catalogYaml: readFileSync('examples/pipelines.yaml', 'utf8'), prefix, role: 'web', env: { SLACK_API_URL: slackUrl } });
    });
    afterAll(async () => {
      await app?.stop();
      await slack.stop();
      await deletePrefix(redis, prefix);
      redis.disconnect();
    });

    it(`answers every one of ${TOTAL} signed commands, none with a 5xx`, async () => {
      const statuses = new Array<number>(TOTAL);
      const acked = new Array<boolean>(TOTAL);
      let next = 0;
      const worker = async () => {
        for (let i = next++; i < TOTAL; i = next++) {
          const res = await postSigned(`${app.url}/slack/events`, slashCommandBody({ text: texts[i]!, userId: i % 3 ? 'U0BOB' : 'U0ALICE', channelId: 'C0FUZZ', responseUrl: slack.responseUrl(`f-${i}`) }), { secret: SIGNING_SECRET });
          statuses[i] = res.status;
          acked[i] = (await res.text()).length > 0;
        }
      };
      await Promise.all(Array.from({ length: CONCURRENCY }, worker));
      expect(statuses.filter((s) => s !== 200)).toEqual([]);
      // What was not answered in the ack is answered through response_url.
      const answered = () => {
        const ids = new Set(slack.responses.map((r) => r.id));
        return acked.every((a, i) => a || ids.has(`f-${i}`));
      };
      await eventually(answered, 60_000, 'every command answered');
      expect(app.proc.exitCode).toBeNull();
      // No input made a handler fail: every refusal was a usage reply, not an error.
      expect(app.logs.filter((l) => Number(l.level) >= 50).map((l) => `${String(l.msg)}: ${JSON.stringify(l.err ?? '')} ${JSON.stringify(l.cmd ?? '')}`)).toEqual([]);
    });
  });
});

describe('finding 1: injection shapes as bound values', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  const shapes = () => withSecrets([...INJECTIONS, ...RANDOM_INJECTIONS], dir);
  // Declared without a pattern: binding alone must keep every value out of the SQL.
  const pipeline = (target: string): Pipeline => ({
    ...pipelineOf({
      name: 'orders',
      target,
      checks: [{ sql: 'select * from {{output}} where region = {{param.region}}' }, { sql: 'select id, {{param.region}} as asked, {{period}} as period from {{output}} where amount < 0' }],
    }),
    params: { region: {} },
  });

  beforeAll(async () => {
    ({ dir, cleanup } = await tempDir());
    await mkdir(join(dir, 'out', 'eu'), { recursive: true });
    await writeFiles({ [join(dir, 'out', 'eu', 'orders.parquet')]: `SELECT * FROM (VALUES (1, 'eu', 10.0), (2, 'eu', -3.0)) t(id, region, amount)` });
    await plantSecrets(dir);
  });
  afterAll(() => cleanup());

  /** What a check may show: the output's own rows, the value that was asked for, the period. */
  const allowed = (v: string) => (sample: Record<string, unknown>) => sample.id === 2 && sample.asked === v && sample.period === '2024-05';

  it('finding 1: DuckDB binds every shape (written and random); no sample or error holds data from outside the output', { timeout: 180_000 }, async () => {
    for (const v of shapes()) {
      for (const target of [join(dir, 'out', 'eu', 'orders.parquet'), join(dir, 'out', '{{param.region}}', 'orders.parquet')]) {
        const outcome: Awaited<ReturnType<typeof runChecks>> | Error = await runChecks({ pipeline: pipeline(target), pipelineName: 'sales', period: '2024-05', params: { region: v } }).catch((err: Error) => err);
        expect(JSON.stringify(outcome instanceof Error ? outcome.message : outcome), v).not.toContain(CANARY);
        if (outcome instanceof Error) {
          // Refused as input (a path leaving its folder, a control character, too long), never run.
          expect(outcome, v).toBeInstanceOf(UsageError);
          continue;
        }
        for (const c of outcome.checks) {
          if (c.error) continue; // a path that names no file: an error that quotes our own path only
          // The SQL that ran is the template's, with markers: the value never became its text.
          expect(['select * from "orders" where region = $param_region', 'select id, $param_region as asked, $period as period from "orders" where amount < 0'], v).toContain(c.sql);
          expect(c.samples.every(allowed(v)) || c.samples.every((s) => s.id === 1 || s.id === 2), v).toBe(true);
        }
      }
    }
  });

  it('finding 1: `cutover dq` prints no data from outside the output for any shape (written and random)', { timeout: 180_000 }, async () => {
    const catalog = join(dir, 'pipelines.yaml');
    await writeFile(
      catalog,
      `pipelines:
  sales:
    channel: C0PIPELINES
    target: { engine: databricks, jobId: 1 }
    params: { region: {} }
    outputs:
      - name: orders
        key: [id]
        legacy: { path: "${dir}/legacy/" }
        target: { path: "${dir}/out/eu/orders.parquet" }
        checks:
          - sql: "select * from {{output}} where region = {{param.region}}"
          - sql: "select id, {{param.region}} as asked from {{output}} where amount < 0"
`,
    );
    for (const v of shapes()) {
      let out = '';
      const io = { stdout: { write: (t: string) => (out += t) }, stderr: { write: (t: string) => (out += t) }, env: {} };
      const code = await main(['dq', '--catalog', catalog, '--pipeline', 'sales', '--period', '2024-05', '--param', `region=${v}`, '--json'], io);
      expect([1, 2], v).toContain(code);
      expect(out, v).not.toContain(CANARY);
    }
  });

  describe('the Databricks dialect, through the fake SQL warehouse', () => {
    let fake: FakeSqlWarehouse;
    beforeAll(async () => {
      // A warehouse that would leak: a statement carrying pasted text returns the canary as a row.
      fake = await startFakeSqlWarehouse({
        token: 'dapi-test',
        answer: (req) => {
          const sql = req.statement ?? '';
          if (/secret|read_text|duckdb_settings|getenv|1=1/i.test(sql)) return { columns: [{ name: 'failing_rows', type_name: 'LONG' }, { name: 'leak' }], rows: [['1', CANARY]] };
          if (sql.startsWith('SELECT count(*)')) return { columns: [{ name: 'failing_rows', type_name: 'LONG' }], rows: [['1']] };
          return { columns: [{ name: 'id' }, { name: 'asked' }, { name: 'period' }], rows: [['2', req.parameters?.find((p) => p.name === 'param_region')?.value ?? null, '2024-05']] };
        },
      });
    });
    afterAll(() => fake.close());

    it('finding 1: the statement text is the same for every shape (written and random); the value travels only in `parameters`', { timeout: 120_000 }, async () => {
      const client = new SqlStatementClient({ host: fake.url, warehouseId: 'wh-1', getToken: async () => 'dapi-test', pollIntervalMs: 1 });
      const texts = new Set<string>();
      for (const v of shapes()) {
        const from = fake.executed.length;
        const result = await runChecks({ pipeline: pipeline('main.sales.orders'), pipelineName: 'sales', period: '2024-05', params: { region: v }, warehouse: (sql, opts) => client.query(sql, opts) }).catch((err: unknown) => err);
        expect(JSON.stringify(result instanceof Error ? result.message : result), v).not.toContain(CANARY);
        if (result instanceof Error) {
          expect(result, v).toBeInstanceOf(UsageError);
          continue;
        }
        for (const req of fake.executed.slice(from)) {
          texts.add(req.statement ?? '');
          expect(req.parameters?.find((p) => p.name === 'param_region'), v).toEqual({ name: 'param_region', value: v, type: 'STRING' });
        }
      }
      // Two checks, each a count and a sample query: four statements, whatever the value was.
      expect([...texts].sort()).toEqual([
        'SELECT * FROM (select * from `main`.`sales`.`orders` where region = :param_region) AS failing LIMIT 5',
        'SELECT * FROM (select id, :param_region as asked, :period as period from `main`.`sales`.`orders` where amount < 0) AS failing LIMIT 5',
        'SELECT count(*) AS failing_rows FROM (select * from `main`.`sales`.`orders` where region = :param_region) AS failing',
        'SELECT count(*) AS failing_rows FROM (select id, :param_region as asked, :period as period from `main`.`sales`.`orders` where amount < 0) AS failing',
      ]);
    });
  });
});
