import { parseArgs } from 'node:util';
import { FakeDatabricks, type FakeJobInput } from './databricks-server.ts';

/**
 * Starts one fake Databricks in its own process (bench and crash tests, where the app under
 * test is killed and restarted but the fake must keep its runs). Prints one JSON line,
 * `{"service":"databricks","url":"http://127.0.0.1:PORT"}`, once listening; stops on
 * SIGTERM/SIGINT. Drive it with `POST /__fake/control`, read it with `GET /__fake/state`.
 *
 *   tsx test/fakes/databricks-server-main.ts [--port N] [--token T]... [--client-id ID]
 *       [--client-secret S] [--token-expires-in SEC] [--polls-per-step N] [--ms-per-step MS]
 *       [--queued] [--job '{"jobId":123,"tasks":["extract","transform"]}']...
 *
 * Each flag can also come from the environment (flags win): FAKE_DATABRICKS_PORT,
 * FAKE_DATABRICKS_TOKENS (comma-separated), FAKE_DATABRICKS_CLIENT_ID,
 * FAKE_DATABRICKS_CLIENT_SECRET, FAKE_DATABRICKS_TOKEN_EXPIRES_IN,
 * FAKE_DATABRICKS_POLLS_PER_STEP, FAKE_DATABRICKS_MS_PER_STEP, FAKE_DATABRICKS_QUEUED=1,
 * FAKE_DATABRICKS_JOBS (a JSON array of jobs).
 */
const { values } = parseArgs({
  options: {
    port: { type: 'string' },
    token: { type: 'string', multiple: true },
    'client-id': { type: 'string' },
    'client-secret': { type: 'string' },
    'token-expires-in': { type: 'string' },
    'polls-per-step': { type: 'string' },
    'ms-per-step': { type: 'string' },
    queued: { type: 'boolean' },
    job: { type: 'string', multiple: true },
  },
});
const env = process.env;
const num = (v: string | undefined) => (v === undefined || v === '' ? undefined : Number(v));
const tokens = values.token ?? env.FAKE_DATABRICKS_TOKENS?.split(',').filter(Boolean);

const fake = new FakeDatabricks({
  port: num(values.port ?? env.FAKE_DATABRICKS_PORT),
  tokens: tokens?.length ? tokens : undefined,
  clientId: values['client-id'] ?? env.FAKE_DATABRICKS_CLIENT_ID,
  clientSecret: values['client-secret'] ?? env.FAKE_DATABRICKS_CLIENT_SECRET,
  tokenExpiresIn: num(values['token-expires-in'] ?? env.FAKE_DATABRICKS_TOKEN_EXPIRES_IN),
  pollsPerStep: num(values['polls-per-step'] ?? env.FAKE_DATABRICKS_POLLS_PER_STEP),
  msPerStep: num(values['ms-per-step'] ?? env.FAKE_DATABRICKS_MS_PER_STEP),
  queued: values.queued ?? env.FAKE_DATABRICKS_QUEUED === '1',
});

const jobs: FakeJobInput[] = [
  ...(env.FAKE_DATABRICKS_JOBS ? (JSON.parse(env.FAKE_DATABRICKS_JOBS) as FakeJobInput[]) : []),
  ...(values.job ?? []).map((j) => JSON.parse(j) as FakeJobInput),
];
for (const job of jobs) fake.addJob(job);

const url = await fake.start();
process.stdout.write(`${JSON.stringify({ service: 'databricks', url })}\n`);

const shutdown = () => void fake.stop().then(() => process.exit(0));
process.once('SIGTERM', shutdown);
process.once('SIGINT', shutdown);
