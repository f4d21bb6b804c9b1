import { readFileSync } from 'node:fs';
import { parseDocument } from 'yaml';
import type { z } from 'zod';
import { ConfigError } from '../errors.ts';
import { catalogSchema, legacyEngineSchema, pipelineSchema, targetEngineSchema, type Catalog, type Pipeline, type RedshiftDatasetConfig } from './catalog-schema.ts';
import { paramRegExp, RESERVED_PARAMS } from './params.ts';
import { paramsUsed, pathTemplateProblem, quotedSqlPlaceholders, unknownPlaceholders } from './template.ts';

/** Reads and validates the catalog; throws ConfigError naming every bad field by its path. */
export function loadCatalog(file: string): Catalog {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError(file, [`cannot read the catalog: ${(err as Error).message}`]);
  }
  return parseCatalog(text, file);
}

/**
 * Validates in one pass: the schema's problems, the list rules on the raw document (duplicate ids,
 * approver counts) and the cross-field rules of every pipeline that is valid on its own, so a user
 * fixing a catalog sees everything at once rather than one round at a time.
 */
export function parseCatalog(text: string, source = 'pipelines.yaml'): Catalog {
  const doc = parseDocument(text, { prettyErrors: true });
  if (doc.errors.length > 0) {
    throw new ConfigError(source, doc.errors.map((e) => `YAML: ${e.message.split('\n')[0]}`));
  }
  const raw: unknown = doc.toJS();
  const result = catalogSchema.safeParse(raw);
  const problems = result.success ? [] : formatIssues(result.error.issues);
  problems.push(...listProblems(raw));
  problems.push(...(result.success ? crossFieldProblems(result.data) : crossFieldProblemsOfValidParts(raw)));
  if (!result.success || problems.length > 0) throw new ConfigError(source, problems);
  inheritRedshiftConnections(result.data);
  return result.data;
}

export function formatIssues(issues: z.core.$ZodIssue[]): string[] {
  return issues.flatMap((issue) => {
    // A union reports "invalid input"; its branches' own issues say what would have fitted. A
    // union with its own message (an unknown check kind or action, see oneKindOf) says it better.
    if (issue.code === 'invalid_union' && issue.errors.length > 0 && issue.message === ZOD_UNION_MESSAGE) {
      const branch = issue.errors.reduce((best, errs) => (errs.length < best.length ? errs : best));
      if (branch.length > 0) {
        return formatIssues(branch.map((sub) => ({ ...sub, path: [...issue.path, ...sub.path] })));
      }
    }
    const where = issue.path.length > 0 ? issue.path.join('.') : '(root)';
    return [`${where}: ${issue.message}`];
  });
}

/** zod's own message for a union no branch of which fits. */
const ZOD_UNION_MESSAGE = 'Invalid input';

type Raw = Record<string, unknown>;
const isObject = (v: unknown): v is Raw => typeof v === 'object' && v !== null && !Array.isArray(v);
const listOf = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);

/**
 * Rules over a list's items that hold even where the items themselves are invalid, read from the
 * raw document (a shape the schema rejected is skipped: it is reported already).
 */
function listProblems(raw: unknown): string[] {
  const problems: string[] = [];
  const pipelines = isObject(raw) && isObject(raw.pipelines) ? raw.pipelines : {};
  for (const [name, p] of Object.entries(pipelines)) {
    if (!isObject(p)) continue;
    const at = `pipelines.${name}`;
    problems.push(...duplicates(listOf(p.outputs), 'name', `${at}.outputs`, 'output name'));
    const cutover = isObject(p.cutover) ? p.cutover : {};
    problems.push(...duplicates(listOf(cutover.steps), 'id', `${at}.cutover.steps`, 'step id'));
    const approvers = isObject(cutover.approvers) ? cutover.approvers : {};
    if (Array.isArray(approvers.users) && typeof approvers.min === 'number' && approvers.min > approvers.users.length) {
      const listed = approvers.users.length;
      problems.push(`${at}.cutover.approvers.min: needs ${approvers.min} approvers but only ${listed} ${listed === 1 ? 'is' : 'are'} listed in users`);
    }
  }
  return problems;
}

function duplicates(items: unknown[], field: string, at: string, what: string): string[] {
  const seen = new Set<unknown>();
  return items.flatMap((item, i) => {
    const value = isObject(item) ? item[field] : undefined;
    if (typeof value !== 'string') return [];
    if (seen.has(value)) return [`${at}.${i}.${field}: duplicate ${what} "${value}"`];
    seen.add(value);
    return [];
  });
}

/**
 * When the catalog as a whole is invalid: the cross-field rules of each pipeline that parses on
 * its own, and the catalog-level ones where their parts parse, so they are not left for a second round.
 */
function crossFieldProblemsOfValidParts(raw: unknown): string[] {
  if (!isObject(raw)) return [];
  const shape = catalogSchema.shape;
  const permissions = shape.permissions.safeParse(raw.permissions);
  const alerts = shape.alerts.safeParse(raw.alerts);
  const rawPipelines = isObject(raw.pipelines) ? raw.pipelines : {};
  const problems: string[] = [];
  for (const [name, p] of Object.entries(rawPipelines)) {
    const parsed = pipelineSchema.safeParse(p);
    if (parsed.success) problems.push(...pipelineProblems(name, parsed.data, permissions.success ? permissions.data.approve : undefined));
  }
  if (alerts.success) problems.push(...alertProblems(alerts.data, new Set(Object.keys(rawPipelines))));
  return problems;
}

/** Rules a schema cannot express: references between fields and template placeholders. */
function crossFieldProblems(catalog: Catalog): string[] {
  const problems = Object.entries(catalog.pipelines).flatMap(([name, p]) => pipelineProblems(name, p, catalog.permissions.approve));
  problems.push(...alertProblems(catalog.alerts, new Set(Object.keys(catalog.pipelines))));
  return problems;
}

/** One pipeline's cross-field rules; `approve` is `permissions.approve`, undefined when that is invalid itself. */
function pipelineProblems(name: string, p: Pipeline, approve: string[] | undefined): string[] {
  const problems: string[] = [];
  const at = `pipelines.${name}`;
  const outputNames = new Set(p.outputs.map((o) => o.name));
  p.outputs.forEach((o, i) => {
    o.checks.forEach((c, j) => {
      if ('relationships' in c && !outputNames.has(c.relationships.to.output)) {
        problems.push(`${at}.outputs.${i}.checks.${j}.relationships.to.output: no output named "${c.relationships.to.output}"`);
      }
      if ('regex' in c) {
        try {
          new RegExp(c.regex.pattern);
        } catch {
          problems.push(`${at}.outputs.${i}.checks.${j}.regex.pattern: not a valid regular expression`);
        }
      }
    });
  });
  if (p.legacy?.engine === 'redshift') {
    for (const bad of quotedSqlPlaceholders(p.legacy.sql)) {
      problems.push(`${at}.legacy.sql: {{${bad}}} is inside a quoted SQL string or comment: write it without quotes, it is bound as a statement parameter`);
    }
  }
  if (p.cutover && !p.cutover.approvers && approve?.length === 0) {
    problems.push(`${at}.cutover.approvers: no approvers here and permissions.approve is empty`);
  }
  for (const [path, text] of stringsOf(p, at)) {
    // `{{run}}` names one UNLOAD's own folder, so it belongs in a Redshift dataset's unload.to only.
    const unknown = unknownPlaceholders(text).filter((n) => !(n === 'run' && /\.(legacy|target)\.unload\.to$/.test(path)));
    for (const bad of unknown) problems.push(`${path}: unknown placeholder {{${bad}}}`);
    for (const name of paramsUsed(text)) {
      if (!Object.hasOwn(p.params, name)) problems.push(`${path}: {{param.${name}}} is not declared under ${at}.params`);
    }
  }
  problems.push(...paramProblems(p, at), ...templateProblems(p, at), ...environmentProblems(p, at));
  return problems;
}

function alertProblems(alerts: Catalog['alerts'], pipelineNames: Set<string>): string[] {
  const problems: string[] = [];
  alerts.trustedTopics.forEach((t, i) => {
    if (!alerts.inboundTopics.includes(t)) problems.push(`alerts.trustedTopics.${i}: ${t} is not one of alerts.inboundTopics`);
  });
  alerts.routes.forEach((r, i) => {
    if (!pipelineNames.has(r.pipeline)) problems.push(`alerts.routes.${i}.pipeline: no pipeline named "${r.pipeline}"`);
  });
  return problems;
}

/**
 * `environments.prod`: each side's fields over the base must still be a valid config of that
 * side, and cutover actions that name a job or a cluster act on production, so they need it.
 */
function environmentProblems(p: Catalog['pipelines'][string], at: string): string[] {
  const problems: string[] = [];
  const prod = p.environments.prod;
  for (const side of ['legacy', 'target'] as const) {
    const override = prod?.[side];
    if (!override) continue;
    const base = p[side];
    if (!base) {
      problems.push(`${at}.environments.prod.${side}: the pipeline has no ${side} engine to override`);
      continue;
    }
    const merged = (side === 'target' ? targetEngineSchema : legacyEngineSchema).safeParse({ ...base, ...override });
    if (!merged.success) problems.push(...formatIssues(merged.error.issues).map((issue) => `${at}.environments.prod.${side}.${issue}`));
  }
  if (!prod) {
    const production = ['databricks.schedule', 'emr.cancelPending'];
    p.cutover?.steps.forEach((s, i) => {
      for (const [kind, list] of [['actions', s.actions], ['rollback', s.rollback]] as const) {
        const named = list.flatMap((a) => Object.keys(a)).filter((k) => production.includes(k));
        if (named.length > 0) problems.push(`${at}.cutover.steps.${i}.${kind}: ${named[0]} changes the production job, so the pipeline needs an environments.prod block (it may be empty)`);
      }
    });
  }
  return problems;
}

/** Each declared param: not a name Cutover sets, a valid pattern, a default that matches it. */
function paramProblems(p: Catalog['pipelines'][string], at: string): string[] {
  const problems: string[] = [];
  for (const [name, spec] of Object.entries(p.params)) {
    const where = `${at}.params.${name}`;
    if (RESERVED_PARAMS.has(name)) problems.push(`${where}: "${name}" is set by Cutover itself and cannot be a param`);
    if (spec.pattern === undefined) continue;
    let re: RegExp;
    try {
      re = paramRegExp(spec.pattern);
    } catch {
      problems.push(`${where}.pattern: not a valid regular expression`);
      continue;
    }
    if (spec.default !== undefined && !re.test(spec.default)) problems.push(`${where}.default: "${spec.default}" does not match the pattern ${spec.pattern}`);
  }
  return problems;
}

/**
 * Values in SQL are bound, so a placeholder inside quotes cannot work; values in a path may
 * choose a folder inside the output's location, never its scheme, bucket or root.
 */
function templateProblems(p: Catalog['pipelines'][string], at: string): string[] {
  const problems: string[] = [];
  p.outputs.forEach((o, i) => {
    for (const side of ['legacy', 'target'] as const) {
      const d = o[side];
      const problem = 'path' in d ? pathTemplateProblem(d.path) : undefined;
      if (problem) problems.push(`${at}.outputs.${i}.${side}.path: ${problem}`);
      if ('redshift' in d) problems.push(...redshiftDatasetProblems(d, p, `${at}.outputs.${i}.${side}`));
    }
    o.checks.forEach((c, j) => {
      if (!('sql' in c)) return;
      for (const name of quotedSqlPlaceholders(c.sql)) {
        problems.push(`${at}.outputs.${i}.checks.${j}.sql: {{${name}}} is inside a quoted SQL string or comment: write it without quotes, it is bound as a value`);
      }
    });
  });
  return problems;
}

/**
 * A `redshift:` dataset: values in `where:` are bound, so never inside quotes; it needs a cluster
 * or workgroup and a database, its own or the `engine: redshift` legacy side's.
 */
function redshiftDatasetProblems(d: RedshiftDatasetConfig, p: Pipeline, at: string): string[] {
  const problems = quotedSqlPlaceholders(d.where ?? '').map((name) => `${at}.where: {{${name}}} is inside a quoted SQL string or comment: write it without quotes, it is bound as a statement parameter`);
  if (/\{\{\s*output\s*\}\}/.test(d.where ?? '')) problems.push(`${at}.where: {{output}} has no meaning here: the condition is on ${d.redshift}`);
  const engine = p.legacy?.engine === 'redshift' ? p.legacy : undefined;
  if (!d.clusterIdentifier && !d.workgroupName && !engine) problems.push(`${at}.clusterIdentifier: set clusterIdentifier or workgroupName (or give the pipeline an engine: redshift legacy side to take them from)`);
  else if (!d.database && !(engine && !d.clusterIdentifier && !d.workgroupName)) problems.push(`${at}.database: set the database Cutover reads ${d.redshift} from`);
  return problems;
}

/**
 * A `redshift:` dataset without a connection of its own reads through the pipeline's
 * `engine: redshift` legacy side: the same cluster or workgroup, database and credentials.
 */
function inheritRedshiftConnections(catalog: Catalog): void {
  for (const p of Object.values(catalog.pipelines)) {
    const engine = p.legacy?.engine === 'redshift' ? p.legacy : undefined;
    if (!engine) continue;
    for (const o of p.outputs) {
      for (const side of ['legacy', 'target'] as const) {
        const d = o[side];
        if (!('redshift' in d) || d.clusterIdentifier || d.workgroupName) continue;
        const credentials = d.secretArn || d.dbUser ? { secretArn: d.secretArn, dbUser: d.dbUser } : { secretArn: engine.secretArn, dbUser: engine.dbUser };
        o[side] = { ...d, clusterIdentifier: engine.clusterIdentifier, workgroupName: engine.workgroupName, database: d.database ?? engine.database, ...credentials };
      }
    }
  }
}

function* stringsOf(value: unknown, path: string): Generator<[string, string]> {
  if (typeof value === 'string') yield [path, value];
  else if (Array.isArray(value)) for (const [i, v] of value.entries()) yield* stringsOf(v, `${path}.${i}`);
  else if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) yield* stringsOf(v, `${path}.${k}`);
  }
}
