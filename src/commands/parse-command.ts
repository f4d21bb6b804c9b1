import { z } from 'zod';
import type { Catalog } from '../config/catalog-schema.ts';
import { resolveParams } from '../config/params.ts';
import { hasEnvironment } from '../engines/resolve-engine.ts';
import { UsageError } from '../errors.ts';
import { usageFor } from '../slack/build-help.ts';
import { parseWords, tokenize, type FlagSpec } from './tokenize.ts';

/** The typed result of parsing `/pipeline …` text: one variant per subcommand of DESIGN.md. */
export type CommandArgs =
  | { cmd: 'help' }
  | { cmd: 'list' }
  | { cmd: 'run'; pipeline: string; on?: RunOn; period: string; params: Record<string, string>; env: 'dev' | 'prod' }
  | { cmd: 'parallel'; pipeline: string; period: string }
  | { cmd: 'status'; pipeline?: string; runId?: string; parallelId?: string; backfillId?: string }
  | { cmd: 'cancel'; runId: string }
  | { cmd: 'diff'; pipeline: string; period: string }
  | { cmd: 'dq'; pipeline: string; period: string }
  | {
      cmd: 'backfill';
      pipeline: string;
      from: string;
      to: string;
      on?: RunOn;
      concurrency: number;
      continueOnFailure: boolean;
      env: 'dev' | 'prod';
    }
  | { cmd: 'history'; pipeline: string }
  | { cmd: 'cutover'; pipeline: string; action?: { kind: 'request' | 'rollback'; step: string } }
  | { cmd: 'audit'; pipeline: string }
  | { cmd: 'report'; pipeline: string };

export type Subcommand = CommandArgs['cmd'];
export type RunOn = z.infer<typeof onValue>;

export const SUBCOMMANDS: readonly Subcommand[] = ['help', 'list', 'run', 'parallel', 'status', 'cancel', 'diff', 'dq', 'backfill', 'history', 'cutover', 'audit', 'report'];

const RUN_ID = /^r-[a-z0-9]+-[a-f0-9]{6}$/;
const PARALLEL_ID = /^p-[a-z0-9]+-[a-f0-9]{6}$/;
const BACKFILL_ID = /^b-[a-z0-9]+-[a-f0-9]{6}$/;
const periodValue = z.string().regex(/^\d{4}-(0[1-9]|1[0-2])$/, 'must be a month as YYYY-MM');
const onValue = z.enum(['databricks', 'emr', 'airflow', 'redshift', 'stepfunctions', 'emr-serverless'], 'must be databricks or a legacy engine: emr, airflow, redshift, stepfunctions or emr-serverless');
const envValue = z.enum(['dev', 'prod'], 'must be dev or prod');
const param = z.string().regex(/^[A-Za-z_][\w.-]*=.*$/, 'must look like key=value');

const value = <T>(schema: z.ZodType<T>, flag: string, raw: unknown): T => {
  const r = schema.safeParse(raw);
  if (!r.success) throw new UsageError(`--${flag} ${String(raw)}: ${r.error.issues[0]?.message ?? 'invalid'}`);
  return r.data;
};

/**
 * A period after the current month (UTC) has no data and cannot have any yet: refused as a usage
 * error rather than run, diffed or checked into a misleading result. The current month is allowed
 * (a month-to-date run is legitimate).
 */
function notFuture(flag: string, period: string, now: number): string {
  const d = new Date(now);
  const current = `${d.getUTCFullYear()}-${String(d.getUTCMonth() + 1).padStart(2, '0')}`;
  if (period > current) throw new UsageError(`--${flag} ${period} is in the future (this month is ${current}); no data exists for it yet`);
  return period;
}

/** The last complete month (UTC): monthly BAU pipelines run for the month that just ended. */
export function defaultPeriod(now: number): string {
  const d = new Date(now);
  const prev = new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() - 1, 1));
  return `${prev.getUTCFullYear()}-${String(prev.getUTCMonth() + 1).padStart(2, '0')}`;
}

/**
 * Parses the text after `/pipeline`. Any problem is a UsageError whose message names it and
 * whose `usage` is the subcommand's usage line; this function never throws anything else.
 */
export function parseCommand(text: string, catalog: Catalog, now = Date.now()): CommandArgs {
  let cmd: Subcommand | undefined;
  try {
    const words = tokenize(text.trim());
    const first = words.shift();
    if (first === undefined || first === 'help') return { cmd: 'help' };
    if (!(SUBCOMMANDS as readonly string[]).includes(first)) {
      throw new UsageError(`unknown subcommand "${first}"`, usageFor('help'));
    }
    cmd = first as Subcommand;
    return parseSubcommand(cmd, words, catalog, now);
  } catch (err) {
    // Tokenizing can fail before the subcommand is known; its first word still says which usage to show.
    const usage = usageFor(cmd ?? text.trim().split(/\s+/)[0] ?? 'help');
    if (err instanceof UsageError) throw new UsageError(err.message, err.usage ?? usage);
    throw new UsageError(`could not read that command (${(err as Error).message})`, usage);
  }
}

function parseSubcommand(cmd: Subcommand, words: string[], catalog: Catalog, now: number): CommandArgs {
  const specs: Record<Subcommand, Record<string, FlagSpec>> = {
    help: {},
    list: {},
    run: { on: { kind: 'value' }, period: { kind: 'value' }, param: { kind: 'repeat' }, env: { kind: 'value' } },
    parallel: { period: { kind: 'value' } },
    status: {},
    cancel: {},
    diff: { period: { kind: 'value' } },
    dq: { period: { kind: 'value' } },
    backfill: { from: { kind: 'value' }, to: { kind: 'value' }, on: { kind: 'value' }, concurrency: { kind: 'value' }, 'continue-on-failure': { kind: 'switch' }, env: { kind: 'value' } },
    history: {},
    cutover: {},
    audit: {},
    report: {},
  };
  const { positionals, flags } = parseWords(words, specs[cmd]);
  const period = () => (flags.period === undefined ? defaultPeriod(now) : notFuture('period', value(periodValue, 'period', flags.period), now));
  const pipeline = () => requirePipeline(positionals.shift(), catalog);
  const done = <T>(args: T): T => {
    if (positionals.length > 0) throw new UsageError(`unexpected "${positionals.join(' ')}"`);
    return args;
  };

  switch (cmd) {
    case 'help':
    case 'list':
      return done({ cmd });
    case 'run': {
      const name = pipeline();
      const on = flags.on === undefined ? undefined : value(onValue, 'on', flags.on);
      if (on) requireEngine(name, on, catalog);
      const given = Object.fromEntries(((flags.param as string[] | undefined) ?? []).map((p) => splitParam(value(param, 'param', p))));
      // Undeclared, reserved (`period`) or not matching its pattern: the usage reply, before anything runs.
      const params = resolveParams(name, catalog.pipelines[name]!, given);
      const env = environment(name, flags.env, catalog);
      return done({ cmd, pipeline: name, on, period: period(), params, env });
    }
    case 'parallel':
    case 'diff':
    case 'dq':
      return done({ cmd, pipeline: pipeline(), period: period() });
    case 'status': {
      const raw = positionals.shift();
      if (raw === undefined) return done({ cmd });
      // Ids are copied from messages, often with their code backticks, sometimes capitalised.
      const target = raw.replace(/^`+|`+$/g, '');
      if (catalog.pipelines[target]) return done({ cmd, pipeline: target });
      const id = target.toLowerCase();
      // Anything shaped like one of our ids is looked up as that (a mistyped id gets "no run with
      // id …", not "unknown pipeline"); a pipeline of the same name wins, checked above.
      if (RUN_ID.test(id) || /^r-[\w-]+$/.test(id)) return done({ cmd, runId: id });
      if (PARALLEL_ID.test(id) || /^p-[\w-]+$/.test(id)) return done({ cmd, parallelId: id });
      if (BACKFILL_ID.test(id) || /^b-[\w-]+$/.test(id)) return done({ cmd, backfillId: id });
      return done({ cmd, pipeline: requirePipeline(target, catalog) });
    }
    case 'cancel': {
      const runId = positionals.shift();
      if (runId === undefined) throw new UsageError('missing <run-id>');
      if (!RUN_ID.test(runId)) throw new UsageError(`"${runId}" is not a run id (they look like r-m3k9x2-4f7a1c)`);
      return done({ cmd, runId });
    }
    case 'backfill': {
      const name = pipeline();
      if (flags.from === undefined) throw new UsageError('missing --from YYYY-MM');
      if (flags.to === undefined) throw new UsageError('missing --to YYYY-MM');
      const from = value(periodValue, 'from', flags.from);
      const to = notFuture('to', value(periodValue, 'to', flags.to), now);
      if (to < from) throw new UsageError(`--to ${to} is before --from ${from}`);
      const months = monthsBetween(from, to);
      if (months > 120) throw new UsageError(`${months} periods is more than the 120 a backfill may cover`);
      const on = flags.on === undefined ? undefined : value(onValue, 'on', flags.on);
      if (on) requireEngine(name, on, catalog);
      const concurrency = flags.concurrency === undefined ? 2 : value(z.coerce.number().int('must be a whole number').min(1, 'must be at least 1').max(10, 'must be at most 10'), 'concurrency', flags.concurrency);
      const env = environment(name, flags.env, catalog);
      return done({ cmd, pipeline: name, from, to, on, concurrency, continueOnFailure: flags['continue-on-failure'] === true, env });
    }
    case 'history':
    case 'audit':
    case 'report':
      return done({ cmd, pipeline: pipeline() });
    case 'cutover': {
      const name = pipeline();
      const kind = positionals.shift();
      if (kind === undefined) return done({ cmd, pipeline: name });
      if (kind !== 'request' && kind !== 'rollback') throw new UsageError(`expected "request <step>" or "rollback <step>", got "${kind}"`);
      const step = positionals.shift();
      if (!step) throw new UsageError(`missing <step> after ${kind}`);
      const steps = catalog.pipelines[name]?.cutover?.steps.map((s) => s.id) ?? [];
      if (!steps.includes(step)) {
        throw new UsageError(steps.length ? `no step "${step}" in ${name}'s cutover plan (steps: ${steps.join(', ')})` : `${name} has no cutover plan`);
      }
      return done({ cmd, pipeline: name, action: { kind, step } });
    }
  }
}

/** `--env`: dev by default; prod only for a pipeline whose catalog entry has `environments.prod`. */
function environment(name: string, raw: unknown, catalog: Catalog): 'dev' | 'prod' {
  const env = raw === undefined ? 'dev' : value(envValue, 'env', raw);
  if (!hasEnvironment(catalog.pipelines[name]!, env)) throw new UsageError(`${name} has no prod environment (environments.prod in the catalog), so it has no prod runs`);
  return env;
}

function requirePipeline(name: string | undefined, catalog: Catalog): string {
  if (name === undefined || name.startsWith('--')) throw new UsageError('missing <pipeline>');
  // Own keys only: `constructor` or `__proto__` must not find something of Object's.
  if (!Object.hasOwn(catalog.pipelines, name)) {
    const known = Object.keys(catalog.pipelines);
    throw new UsageError(`unknown pipeline "${name}"${known.length ? ` (known: ${known.slice(0, 10).join(', ')})` : ''}`);
  }
  return name;
}

/** `--on` must name an engine the pipeline has: databricks is its target, the others its legacy. */
function requireEngine(name: string, on: RunOn, catalog: Catalog): void {
  const p = catalog.pipelines[name]!;
  const ok = on === 'databricks' ? true : p.legacy?.engine === on || p.legacy?.engine === 'sandbox';
  if (!ok) throw new UsageError(`${name} has no ${on} engine (its legacy engine is ${p.legacy?.engine ?? 'not configured'})`);
}

function splitParam(kv: string): [string, string] {
  const eq = kv.indexOf('=');
  return [kv.slice(0, eq), kv.slice(eq + 1)];
}

export function monthsBetween(from: string, to: string): number {
  const [fy, fm] = from.split('-').map(Number) as [number, number];
  const [ty, tm] = to.split('-').map(Number) as [number, number];
  return (ty - fy) * 12 + (tm - fm) + 1;
}
