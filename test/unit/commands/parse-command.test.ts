import { describe, expect, it } from 'vitest';
import { defaultPeriod, parseCommand } from '../../../src/commands/parse-command.ts';
import { loadCatalog } from '../../../src/config/load-catalog.ts';
import { UsageError } from '../../../src/errors.ts';

const catalog = loadCatalog('examples/pipelines.yaml');
const NOW = Date.UTC(2026, 10, 21); // 2026-11-21
const parse = (text: string) => parseCommand(text, catalog, NOW);
const usageError = (text: string): UsageError => {
  try {
    parse(text);
  } catch (err) {
    if (err instanceof UsageError) return err;
    throw err;
  }
  throw new Error(`expected "${text}" to be rejected`);
};

describe('/pipeline grammar', () => {
  it('parses run with every flag', () => {
    expect(parse('run incites-monthly --on databricks --period 2026-07 --param region=us --env prod')).toEqual({
      cmd: 'run',
      pipeline: 'incites-monthly',
      on: 'databricks',
      period: '2026-07',
      params: { region: 'us' },
      env: 'prod',
    });
  });

  it('defaults to the last complete month and the dev env', () => {
    expect(parse('run incites-monthly')).toMatchObject({ period: '2026-10', env: 'dev', on: undefined, params: { region: 'eu' } });
    expect(defaultPeriod(Date.UTC(2027, 0, 3))).toBe('2026-12');
  });

  it('treats empty text and help as help', () => {
    expect(parse('')).toEqual({ cmd: 'help' });
    expect(parse('  help ')).toEqual({ cmd: 'help' });
  });

  it('parses status by pipeline, by run id, and bare', () => {
    expect(parse('status')).toEqual({ cmd: 'status' });
    expect(parse('status incites-monthly')).toEqual({ cmd: 'status', pipeline: 'incites-monthly' });
    expect(parse('status r-mhx1y2z3-abc123')).toEqual({ cmd: 'status', runId: 'r-mhx1y2z3-abc123' });
    expect(parse('status p-mhx1y2z3-abc123')).toEqual({ cmd: 'status', parallelId: 'p-mhx1y2z3-abc123' });
    expect(parse('status b-mhx1y2z3-abc123')).toEqual({ cmd: 'status', backfillId: 'b-mhx1y2z3-abc123' });
    expect(usageError('status nothing-like-this').message).toMatch(/pipeline/);
  });

  it('looks anything shaped like an id up as that id, not as a pipeline (issue 15 item 6)', () => {
    // Mistyped, older-format, back-ticked or capitalised ids: the lookup then says "no run with id …".
    expect(parse('status r-m3k9x2-4f7a')).toEqual({ cmd: 'status', runId: 'r-m3k9x2-4f7a' });
    expect(parse('status `r-mhx1y2z3-abc123`')).toEqual({ cmd: 'status', runId: 'r-mhx1y2z3-abc123' });
    expect(parse('status R-MHX1Y2Z3-ABC123')).toEqual({ cmd: 'status', runId: 'r-mhx1y2z3-abc123' });
    expect(parse('status p-nothex-zz')).toEqual({ cmd: 'status', parallelId: 'p-nothex-zz' });
    expect(parse('status b-nothex-zzzzzz')).toEqual({ cmd: 'status', backfillId: 'b-nothex-zzzzzz' });
  });

  it('refuses a --period or --to in the future, allowing the current month (issue 15 item 6)', () => {
    for (const cmd of ['run', 'parallel', 'diff', 'dq']) {
      const err = usageError(`${cmd} incites-monthly --period 2026-12`);
      expect(err.message).toBe('--period 2026-12 is in the future (this month is 2026-11); no data exists for it yet');
      expect(err.usage).toContain(`/pipeline ${cmd}`);
      expect(parse(`${cmd} incites-monthly --period 2026-11`)).toMatchObject({ period: '2026-11' });
    }
    expect(usageError('backfill incites-monthly --from 2026-10 --to 2027-01').message).toMatch(/--to 2027-01 is in the future/);
  });

  it('parses backfill, cutover and the other subcommands', () => {
    expect(parse('backfill incites-monthly --from 2026-01 --to 2026-06 --concurrency 3 --continue-on-failure')).toEqual({
      cmd: 'backfill', pipeline: 'incites-monthly', from: '2026-01', to: '2026-06', on: undefined, concurrency: 3, continueOnFailure: true, env: 'dev',
    });
    expect(parse('backfill incites-monthly --from 2025-11 --to 2026-02 --env prod')).toMatchObject({ from: '2025-11', to: '2026-02', concurrency: 2, continueOnFailure: false, env: 'prod' });
    expect(parse('backfill incites-monthly --from 2016-11 --to 2026-10')).toMatchObject({ from: '2016-11', to: '2026-10' }); // exactly 120 periods
    expect(parse('cutover incites-monthly request switch-primary')).toEqual({ cmd: 'cutover', pipeline: 'incites-monthly', action: { kind: 'request', step: 'switch-primary' } });
    expect(parse('parallel incites-monthly --period 2026-01')).toEqual({ cmd: 'parallel', pipeline: 'incites-monthly', period: '2026-01' });
    expect(parse('audit incites-monthly')).toEqual({ cmd: 'audit', pipeline: 'incites-monthly' });
  });

  it('undoes Slack escaping and smart quotes in values', () => {
    expect(parse('run incites-monthly --param “region=us”')).toMatchObject({ params: { region: 'us' } });
    expect(() => parse('run incites-monthly --param region=a&amp;b')).toThrow('--param region=a&b does not match ^[a-z]{2}$');
  });

  it.each([
    ['frobnicate', /unknown subcommand "frobnicate"/, '/pipeline help'],
    ['run', /missing <pipeline>/, '/pipeline run <pipeline>'],
    ['run nope', /unknown pipeline "nope" \(known: incites-monthly, billing-rollup\)/, '/pipeline run <pipeline>'],
    ['run incites-monthly --period 2026-13', /--period 2026-13: must be a month as YYYY-MM/, '/pipeline run'],
    ['run incites-monthly --fast', /unknown flag --fast/, '/pipeline run'],
    ['run incites-monthly --on spark', /--on spark: must be databricks or a legacy engine: emr, airflow, redshift, stepfunctions or emr-serverless/, '/pipeline run'],
    ['run incites-monthly --on airflow', /has no airflow engine \(its legacy engine is emr\)/, '/pipeline run'],
    ['run incites-monthly --param novalue', /--param novalue: must look like key=value/, '/pipeline run'],
    ['run incites-monthly --period', /--period needs a value/, '/pipeline run'],
    ['run incites-monthly --period 2026-01 --period 2026-02', /--period given twice/, '/pipeline run'],
    ['run incites-monthly extra', /unexpected "extra"/, '/pipeline run'],
    ['cancel', /missing <run-id>/, '/pipeline cancel <run-id>'],
    ['cancel 12345', /"12345" is not a run id/, '/pipeline cancel'],
    ['backfill incites-monthly --from 2026-06 --to 2026-01', /--to 2026-01 is before --from 2026-06/, '/pipeline backfill'],
    ['backfill incites-monthly --from 2000-01 --to 2026-01', /313 periods is more than the 120/, '/pipeline backfill'],
    ['backfill incites-monthly --to 2026-01', /missing --from/, '/pipeline backfill'],
    ['backfill incites-monthly --from 2026-01', /missing --to/, '/pipeline backfill'],
    ['backfill incites-monthly --from 2026-1 --to 2026-06', /--from 2026-1: must be a month as YYYY-MM/, '/pipeline backfill'],
    ['backfill incites-monthly --from 2026-01 --to 2026-13', /--to 2026-13: must be a month as YYYY-MM/, '/pipeline backfill'],
    ['backfill incites-monthly --from 2016-10 --to 2026-10', /121 periods is more than the 120/, '/pipeline backfill'],
    ['backfill incites-monthly --from 2026-01 --to 2026-02 --concurrency 0', /--concurrency 0: must be at least 1/, '/pipeline backfill'],
    ['backfill incites-monthly --from 2026-01 --to 2026-02 --concurrency two', /--concurrency two/, '/pipeline backfill'],
    ['backfill incites-monthly --from 2026-01 --to 2026-02 --env staging', /--env staging: must be dev or prod/, '/pipeline backfill'],
    ['cutover incites-monthly request nope', /no step "nope".*steps: parallel-clean, switch-primary, decommission-legacy/, '/pipeline cutover'],
    ['run incites-monthly --param "unbalanced', /unbalanced quotes/, '/pipeline run'],
  ])('rejects %j naming the problem and the usage line', (text, message, usage) => {
    const err = usageError(text);
    expect(err.message).toMatch(message);
    expect(err.usage).toContain(usage);
  });
});

describe('finding 1: --param values are declared and checked before anything runs', () => {
  it('finding 1: an undeclared --param, a reserved one, or one failing its pattern gets the usage reply', () => {
    expect(usageError("run incites-monthly --param region=x'UNION").message).toBe("--param region=x'UNION does not match ^[a-z]{2}$ (Sales region)");
    expect(usageError('run incites-monthly --param mode=full').message).toBe('incites-monthly takes no --param mode (it takes region)');
    expect(usageError('run incites-monthly --param period=2019-01').message).toBe('--param period is set by Cutover itself: use --period YYYY-MM');
  });
});

describe('finding 19: pipeline names are looked up as own keys only', () => {
  it.each(['constructor', '__proto__', 'toString', 'hasOwnProperty', 'valueOf'])('finding 19: "%s" is an unknown pipeline, for every subcommand that names one', (name) => {
    for (const text of [`run ${name}`, `status ${name}`, `audit ${name}`, `dq ${name}`, `cutover ${name}`, `history ${name}`, `parallel ${name}`]) {
      expect(usageError(text).message, text).toMatch(/unknown pipeline/);
    }
    expect(catalog.pipelines[name], name).toBeUndefined();
  });
});
