import type { EngineConfig, Pipeline, Stage } from '../config/catalog-schema.ts';
import { renderMap, renderTemplate, type TemplateValues } from '../config/template.ts';
import { UsageError } from '../errors.ts';

export type Side = 'legacy' | 'target';

/**
 * Which side a `/pipeline run` without `--on` uses: the legacy engine until the pipeline's
 * stage is `live` (cutover moves it there), Databricks from then on.
 */
export function defaultSide(pipeline: Pipeline, stage: Stage): Side {
  return stage === 'live' || !pipeline.legacy ? 'target' : 'legacy';
}

export function sideFor(on: 'databricks' | 'emr' | 'airflow'): Side {
  return on === 'databricks' ? 'target' : 'legacy';
}

export function engineConfigFor(pipeline: Pipeline, side: Side): EngineConfig {
  const config = side === 'target' ? pipeline.target : pipeline.legacy;
  if (!config) throw new UsageError('this pipeline has no legacy engine configured');
  return config;
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
    case 'sandbox':
      return { config, params: values.params };
  }
}
