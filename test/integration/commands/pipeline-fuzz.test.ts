import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseCommand, SUBCOMMANDS } from '../../../src/commands/parse-command.ts';
import { loadCatalog } from '../../../src/config/load-catalog.ts';
import { UsageError } from '../../../src/errors.ts';
import { FakeSlack } from '../../fakes/slack-server.ts';
import { eventually, SIGNING_SECRET, startAppProcess, type AppProcess } from '../../helpers/app-process.ts';
import { deletePrefix, testRedis, uniquePrefix } from '../../helpers/redis.ts';
import { postSigned, slashCommandBody } from '../../helpers/slack-requests.ts';
import { prng } from '../../unit/diff/helpers.ts';

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
