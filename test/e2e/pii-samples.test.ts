import { createHmac, randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeSlack } from '../fakes/slack-server.ts';
import { eventually, SIGNING_SECRET, startAppProcess, type AppProcess } from '../helpers/app-process.ts';
import { deletePrefix, testRedis, uniquePrefix } from '../helpers/redis.ts';
import { postSigned, slashCommandBody } from '../helpers/slack-requests.ts';
import { tempDir, writeFiles } from '../unit/diff/helpers.ts';

/**
 * Issue 7: PII planted on both sides of a diff (in the differing columns and in a key) and in
 * a DQ failure's samples must reach no Slack request, no uploaded file and no log line of the
 * bot, while the counts stay exact; with `hash`, equal values get equal hashes on both sides.
 */
const CHANNEL = 'C0PII';
const PERIOD = '2026-09';
const PII_KEY = 'test-pii-key-0123456789abcdef';
const canary = `pii-canary-${randomBytes(4).toString('hex')}`;
const A = `${canary}-a@example.com`;
const B = `${canary}-b@example.com`;
const C = `${canary}-c@example.com`;
const hash = (v: string) => createHmac('sha256', PII_KEY).update(v).digest('hex').slice(0, 12);

const slack = new FakeSlack();
const redis = testRedis();
const prefix = uniquePrefix('e2e-pii');
let app: AppProcess;
let dir: { dir: string; cleanup: () => Promise<void> };

beforeAll(async () => {
  dir = await tempDir();
  const file = (side: string, output: string) => {
    mkdirSync(join(dir.dir, side, output), { recursive: true });
    return join(dir.dir, side, output, `${PERIOD}.parquet`);
  };
  await writeFiles({
    // Rows 2 and 3 swap their e-mails; row 4 differs in full_name only; row 5 only in legacy.
    [file('legacy', 'customers')]: `SELECT * FROM (VALUES (1, 'x@example.com', 'Ann', 1.0), (2, '${A}', 'Bob ${canary}', 2.0), (3, '${B}', 'Cy', 3.0), (4, '${C}', 'Dee ${canary}', 4.0), (5, '${C}', 'Eve', 5.0)) t(customer_id, email, full_name, revenue)`,
    [file('target', 'customers')]: `SELECT * FROM (VALUES (1, 'x@example.com', 'Ann', 1.0), (2, '${B}', 'Bob ${canary}', 2.0), (3, '${A}', 'Cy', 3.0), (4, '${C}', 'Dora ${canary}', 4.0), (6, '${A}', NULL, 6.0)) t(customer_id, email, full_name, revenue)`,
    // Keyed by a PII column: the keys in the samples must be protected too.
    [file('legacy', 'contacts')]: `SELECT * FROM (VALUES ('${A}', 1), ('${B}', 2)) t(email, visits)`,
    [file('target', 'contacts')]: `SELECT * FROM (VALUES ('${A}', 1), ('${B}', 3), ('${C}', 4)) t(email, visits)`,
  });
  const slackUrl = await slack.start();
  const out = (name: string) => `legacy: { path: "${dir.dir}/legacy/${name}/{{period}}.parquet" }
        target: { path: "${dir.dir}/target/${name}/{{period}}.parquet" }`;
  app = await startAppProcess({
    prefix,
    catalogYaml: `
pipelines:
  pii-monthly:
    channel: ${CHANNEL}
    target: { engine: databricks, jobId: 1 }
    outputs:
      - name: customers
        key: [customer_id]
        pii: [email, full_name]
        ${out('customers')}
        checks:
          - not_null: [full_name]
      - name: contacts
        key: [email]
        pii: [email]
        ${out('contacts')}
pii: { default: hash }
permissions: { diff: [U0ALICE] }
`,
    // No run starts here, but a worker refuses to start without the settings its pipelines' engines need.
    env: { SLACK_API_URL: slackUrl, CUTOVER_PII_KEY: PII_KEY, LOG_LEVEL: 'debug', DATABRICKS_HOST: 'http://127.0.0.1:9', DATABRICKS_TOKEN: 'dapi-unused' },
  });
});

afterAll(async () => {
  await app?.stop();
  await slack.stop();
  await deletePrefix(redis, prefix);
  redis.disconnect();
  await dir?.cleanup();
});

describe('PII in samples', () => {
  it('never leaves the engine raw, while counts stay exact and equal values hash equally', async () => {
    const res = await postSigned(`${app.url}/slack/events`, slashCommandBody({ text: `diff pii-monthly --period ${PERIOD}`, userId: 'U0ALICE', channelId: CHANNEL, responseUrl: slack.responseUrl('diff') }), { secret: SIGNING_SECRET });
    expect(res.status).toBe(200);
    const files = await eventually(() => {
      const done = slack.files.filter((f) => f.completed);
      return done.length >= 3 ? done : undefined;
    }, 30_000, 'report files');
    await eventually(() => slack.messages.find((m) => /DQ failing/.test(m.text ?? '')), 15_000, 'DQ thread');

    const report = JSON.parse(files.find((f) => f.filename.endsWith('-diff.json'))!.bytes!.toString('utf8')) as {
      outputs: Record<string, { report: { counts: Record<string, unknown>; columns: Record<string, { mismatches: number; samples: Array<{ key: Record<string, string>; legacy: string; target: string }> }> } }>;
    };
    const customers = report.outputs.customers!.report;
    expect(customers.counts).toMatchObject({ legacy: 5, target: 5, onlyLegacy: 1, onlyTarget: 1, changed: 3 });
    expect(customers.columns.email!.mismatches).toBe(2);
    expect(customers.columns.full_name!.mismatches).toBe(1);
    expect(customers.columns.revenue!.mismatches).toBe(0);
    expect(report.outputs.contacts!.report.counts).toMatchObject({ onlyTarget: 1, changed: 1 });

    // The swapped e-mails: A is legacy of key 2 and target of key 3, under one hash.
    const emailSamples = customers.columns.email!.samples;
    const byKey = Object.fromEntries(emailSamples.map((s) => [String(s.key.customer_id), s]));
    expect(byKey['2']).toMatchObject({ legacy: hash(A), target: hash(B) });
    expect(byKey['3']).toMatchObject({ legacy: hash(B), target: hash(A) });
    // A PII key is hashed the same way.
    const contactKeys = report.outputs.contacts!.report.columns.visits!.samples.map((s) => s.key.email);
    expect(contactKeys).toEqual([hash(B)]);

    const everything = [
      ...slack.calls.map((c) => JSON.stringify(c.body)),
      ...slack.responses.map((r) => JSON.stringify(r.body)),
      ...slack.files.map((f) => f.bytes?.toString('utf8') ?? ''),
      ...app.logs.map((l) => JSON.stringify(l)),
    ];
    expect(everything.length).toBeGreaterThan(10);
    expect(everything.filter((text) => text.includes(canary))).toEqual([]);
    // The DQ sample (the NULL full_name row) shows the row, hashed.
    const dq = slack.messages.find((m) => /DQ failing/.test(m.text ?? ''))!;
    expect(JSON.stringify(dq.blocks)).toContain(`email=${hash(A)}`);
  });
});
