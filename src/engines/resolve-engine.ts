import { legacyEngineSchema, targetEngineSchema, type EngineConfig, type EngineName, type Pipeline, type Stage } from '../config/catalog-schema.ts';
import { bindSqlTemplate, renderMap, renderTemplate, type TemplateValues } from '../config/template.ts';
import { ConfigError, UsageError } from '../errors.ts';

export type Side = 'legacy' | 'target';
/** The environments a run can use: `dev` is the catalog's `legacy:`/`target:`, `prod` its `environments.prod`. */
export type RunEnvironment = 'dev' | 'prod';

/**
 * Which side a `/pipeline run` without `--on` uses: the legacy engine until the pipeline's
 * stage is `live` (cutover moves it there), Databricks from then on.
 */
export function defaultSide(pipeline: Pipeline, stage: Stage): Side {
  return stage === 'live' || !pipeline.legacy ? 'target' : 'legacy';
}

export function sideFor(on: EngineName): Side {
  return on === 'databricks' ? 'target' : 'legacy';
}

/** True when the pipeline declares the environment (`dev` always exists). */
export function hasEnvironment(pipeline: Pipeline, env: RunEnvironment): boolean {
  return env === 'dev' || pipeline.environments?.prod !== undefined;
}

/**
 * The engine config a run of `side` in `env` uses: the catalog's `legacy:`/`target:` for `dev`,
 * with `environments.prod.<side>`'s fields over it for `prod`. The one place a run's job id,
 * cluster, DAG and parameters are decided: runs, parallel runs, backfills and cutover actions.
 */
export function engineConfigFor(pipeline: Pipeline, side: Side, env: RunEnvironment = 'dev'): EngineConfig {
  const base = side === 'target' ? pipeline.target : pipeline.legacy;
  if (!base) throw new UsageError('this pipeline has no legacy engine configured');
  if (env === 'dev') return base;
  const prod = pipeline.environments?.prod;
  if (!prod) throw new UsageError('this pipeline has no prod environment: its catalog entry needs an environments.prod block for prod runs');
  const override = prod[side];
  return override ? mergeEnvironment(side, base, override) : base;
}

/** `base` with an environment's fields over it, checked with the side's schema. */
export function mergeEnvironment(side: Side, base: EngineConfig, override: Record<string, unknown>): EngineConfig {
  const parsed = (side === 'target' ? targetEngineSchema : legacyEngineSchema).safeParse({ ...base, ...override });
  if (!parsed.success) {
    throw new ConfigError(`environments.prod.${side}`, parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`));
  }
  return parsed.data;
}

/**
 * The engine config with every template rendered for one run, and `--param` values passed
 * beside the catalog's parameters (Databricks `job_parameters`, Airflow `conf`). The catalog's
 * own entries win: a `--param` can add a parameter, never replace one the catalog sets
 * (`period` from `--period`, or one it fixes for the environment).
 */
export function renderEngineConfig(config: EngineConfig, values: TemplateValues): { config: EngineConfig; params: Record<string, string> } {
  switch (config.engine) {
    case 'databricks': {
      const params = { ...values.params, ...renderMap(config.jobParameters, values) };
      return { config: { ...config, jobParameters: params }, params };
    }
    case 'airflow': {
      const params = { ...values.params, ...renderMap(config.conf, values) };
      return { config: { ...config, conf: params }, params };
    }
    case 'emr': {
      const args = config.step.args.map((a) => renderTemplate(a, values));
      return { config: { ...config, step: { ...config.step, args } }, params: values.params };
    }
    case 'redshift': {
      // Values are bound as statement parameters (`:period`, `:param_region`), never pasted.
      const bound = bindSqlTemplate(config.sql, values, (name) => `:${name}`);
      const empty = Object.entries(bound.values).find(([, v]) => v === '');
      // The Data API takes only non-empty parameter values (SqlParameter.value, min length 1).
      if (empty) throw new UsageError(`Redshift cannot bind an empty value: give :${empty[0]} a value`);
      return { config: { ...config, sql: bound.sql }, params: bound.values };
    }
    case 'stepfunctions': {
      // The catalog's own input keys win: a --param can add a key, never replace one it sets.
      const input = { ...values.params, ...renderJson(config.input, values) };
      return { config: { ...config, input }, params: values.params };
    }
    case 'emr-serverless': {
      const { entryPoint, entryPointArguments, sparkSubmitParameters } = config.sparkSubmit;
      const sparkSubmit = {
        entryPoint: renderTemplate(entryPoint, values),
        entryPointArguments: entryPointArguments.map((a) => renderTemplate(a, values)),
        sparkSubmitParameters: sparkSubmitParameters === undefined ? undefined : renderTemplate(sparkSubmitParameters, values),
      };
      return { config: { ...config, sparkSubmit }, params: values.params };
    }
    case 'sandbox':
      return { config, params: values.params };
  }
}

/** Every string inside a JSON value rendered (a Step Functions input); other values as they are. */
function renderJson<T>(value: T, values: TemplateValues): T {
  if (typeof value === 'string') return renderTemplate(value, values) as T;
  if (Array.isArray(value)) return value.map((v: unknown) => renderJson(v, values)) as T;
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, renderJson(v, values)])) as T;
  return value;
}
