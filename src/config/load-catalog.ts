import { readFileSync } from 'node:fs';
import { parseDocument } from 'yaml';
import type { z } from 'zod';
import { ConfigError } from '../errors.ts';
import { catalogSchema, legacyEngineSchema, targetEngineSchema, type Catalog } from './catalog-schema.ts';
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

export function parseCatalog(text: string, source = 'pipelines.yaml'): Catalog {
  const doc = parseDocument(text, { prettyErrors: true });
  if (doc.errors.length > 0) {
    throw new ConfigError(source, doc.errors.map((e) => `YAML: ${e.message.split('\n')[0]}`));
  }
  const result = catalogSchema.safeParse(doc.toJS());
  if (!result.success) throw new ConfigError(source, formatIssues(result.error.issues));
  inheritRedshiftConnections(result.data);
  const problems = crossFieldProblems(result.data);
  if (problems.length > 0) throw new ConfigError(source, problems);
  return result.data;
}

export function formatIssues(issues: z.core.$ZodIssue[]): string[] {
  return issues.flatMap((issue) => {
    // A union reports "invalid input"; its branches' own issues say what would have fitted.
    if (issue.code === 'invalid_union' && issue.errors.length > 0) {
      const branch = issue.errors.reduce((best, errs) => (errs.length < best.length ? errs : best));
      if (branch.length > 0) {
        return formatIssues(branch.map((sub) => ({ ...sub, path: [...issue.path, ...sub.path] })));
      }
    }
    const where = issue.path.length > 0 ? issue.path.join('.') : '(root)';
    return [`${where}: ${issue.message}`];
  });
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
        o[side] = { ...d, clusterIdentifier: engine.clusterIdentifier, workgroupName: engine.workgroupName, database: d.database ?? engine.database, secretArn: d.secretArn ?? engine.secretArn, dbUser: d.dbUser ?? engine.dbUser };
        if (d.secretArn && engine.dbUser) o[side] = { ...o[side], dbUser: undefined };
      }
    }
  }
}

/** Rules a schema cannot express: references between fields and template placeholders. */
function crossFieldProblems(catalog: Catalog): string[] {
  const problems: string[] = [];
  for (const [name, p] of Object.entries(catalog.pipelines)) {
    const at = `pipelines.${name}`;
    const outputNames = new Set<string>();
    p.outputs.forEach((o, i) => {
      if (outputNames.has(o.name)) problems.push(`${at}.outputs.${i}.name: duplicate output name "${o.name}"`);
      outputNames.add(o.name);
    });
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
    const steps = new Set<string>();
    p.cutover?.steps.forEach((s, i) => {
      if (steps.has(s.id)) problems.push(`${at}.cutover.steps.${i}.id: duplicate step id "${s.id}"`);
      steps.add(s.id);
    });
    if (p.cutover?.approvers && p.cutover.approvers.min > p.cutover.approvers.users.length) {
      problems.push(`${at}.cutover.approvers.min: needs ${p.cutover.approvers.min} approvers but only ${p.cutover.approvers.users.length} are listed`);
    }
    if (p.cutover && !p.cutover.approvers && catalog.permissions.approve.length === 0) {
      problems.push(`${at}.cutover.approvers: no approvers here and permissions.approve is empty`);
    }
    for (const [path, text] of stringsOf(p, at)) {
      // `{{run}}` names one UNLOAD's own folder, so it belongs in a Redshift dataset's unload.to only.
      const unknown = unknownPlaceholders(text).filter((name) => !(name === 'run' && /\.(legacy|target)\.unload\.to$/.test(path)));
      for (const bad of unknown) problems.push(`${path}: unknown placeholder {{${bad}}}`);
      for (const name of paramsUsed(text)) {
        if (!Object.hasOwn(p.params, name)) problems.push(`${path}: {{param.${name}}} is not declared under ${at}.params`);
      }
    }
    problems.push(...paramProblems(p, at), ...templateProblems(p, at), ...environmentProblems(p, at));
  }
  catalog.alerts.trustedTopics.forEach((t, i) => {
    if (!catalog.alerts.inboundTopics.includes(t)) problems.push(`alerts.trustedTopics.${i}: ${t} is not one of alerts.inboundTopics`);
  });
  catalog.alerts.routes.forEach((r, i) => {
    if (!catalog.pipelines[r.pipeline]) problems.push(`alerts.routes.${i}.pipeline: no pipeline named "${r.pipeline}"`);
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
      if ('redshift' in d) {
        for (const name of quotedSqlPlaceholders(d.where ?? '')) {
          problems.push(`${at}.outputs.${i}.${side}.where: {{${name}}} is inside a quoted SQL string or comment: write it without quotes, it is bound as a statement parameter`);
        }
        if (/\{\{\s*output\s*\}\}/.test(d.where ?? '')) problems.push(`${at}.outputs.${i}.${side}.where: {{output}} has no meaning here: the condition is on ${d.redshift}`);
        if (!d.clusterIdentifier && !d.workgroupName) problems.push(`${at}.outputs.${i}.${side}.clusterIdentifier: set clusterIdentifier or workgroupName (or give the pipeline an engine: redshift legacy side to take them from)`);
        else if (!d.database) problems.push(`${at}.outputs.${i}.${side}.database: set the database Cutover reads ${d.redshift} from`);
      }
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

function* stringsOf(value: unknown, path: string): Generator<[string, string]> {
  if (typeof value === 'string') yield [path, value];
  else if (Array.isArray(value)) for (const [i, v] of value.entries()) yield* stringsOf(v, `${path}.${i}`);
  else if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) yield* stringsOf(v, `${path}.${k}`);
  }
}
