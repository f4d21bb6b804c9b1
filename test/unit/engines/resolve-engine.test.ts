import { describe, expect, it } from 'vitest';
import { newRunRecord } from '../../../src/commands/new-run-record.ts';
import { parseCommand } from '../../../src/commands/parse-command.ts';
import { loadCatalog, parseCatalog } from '../../../src/config/load-catalog.ts';
import { engineConfigFor, renderEngineConfig } from '../../../src/engines/resolve-engine.ts';
import { ConfigError, UsageError } from '../../../src/errors.ts';

const catalog = loadCatalog('examples/pipelines.yaml');
const incites = catalog.pipelines['incites-monthly']!;
const billing = catalog.pipelines['billing-rollup']!;

describe('finding 2: --env is real', () => {
  it('finding 2: a prod run uses the prod job, cluster and parameters; a dev run the dev ones', () => {
    expect(engineConfigFor(incites, 'target', 'dev')).toMatchObject({ engine: 'databricks', jobId: 123 });
    expect(engineConfigFor(incites, 'target', 'prod')).toMatchObject({ engine: 'databricks', jobId: 1123, jobParameters: { catalog: 'prod' } });
    expect(engineConfigFor(incites, 'legacy', 'dev')).toMatchObject({ clusterId: 'j-ABC123' });
    // Fields the environment does not name are the base's.
    expect(engineConfigFor(incites, 'legacy', 'prod')).toMatchObject({ clusterId: 'j-PROD456', step: { name: 'incites' } });
    const prodRun = newRunRecord({ pipelineName: 'incites-monthly', pipeline: incites, side: 'target', period: '2026-07', params: {}, env: 'prod', requestedBy: 'U0ALICE', now: 0 });
    expect(renderEngineConfig(engineConfigFor(incites, prodRun.side, prodRun.env), { period: prodRun.period, params: prodRun.params }).config).toMatchObject({ jobId: 1123 });
  });

  it('finding 2: a pipeline without a prod block has no prod runs', () => {
    expect(() => engineConfigFor(billing, 'target', 'prod')).toThrow(UsageError);
    expect(() => parseCommand('run billing-rollup --env prod', catalog)).toThrow('billing-rollup has no prod environment (environments.prod in the catalog), so it has no prod runs');
    expect(() => parseCommand('backfill billing-rollup --from 2026-01 --to 2026-02 --env prod', catalog)).toThrow(/has no prod environment/);
    expect(parseCommand('run incites-monthly --env prod', catalog)).toMatchObject({ env: 'prod' });
  });

  it('finding 2: --param can never replace a parameter the catalog sets (period comes only from --period)', () => {
    const { params } = renderEngineConfig(engineConfigFor(incites, 'target', 'prod'), { period: '2026-07', params: { period: '2019-01', region: 'us', catalog: 'dev' } });
    expect(params).toEqual({ period: '2026-07', region: 'us', catalog: 'prod' });
    expect(() => parseCommand('run incites-monthly --param period=2019-01', catalog)).toThrow('--param period is set by Cutover itself: use --period YYYY-MM');
  });

  it('finding 2: environment overrides are validated like the rest of the catalog, every bad field named', () => {
    const yaml = (prod: string, cutover = '') => `pipelines:
  p:
    channel: C0X
    legacy: { engine: emr, clusterId: j-ABC, step: { name: s, args: [a] } }
    target: { engine: databricks, jobId: 1 }
    environments: { prod: ${prod} }
${cutover}`;
    const problems = (text: string) => {
      try {
        parseCatalog(text);
      } catch (err) {
        if (err instanceof ConfigError) return err.problems;
      }
      return [];
    };
    expect(problems(yaml('{ target: { jobId: 2, engine: emr } }'))).toEqual(['pipelines.p.environments.prod.target: an environment runs the same engine: leave out "engine"']);
    expect(problems(yaml('{ target: { jobId: "x" }, legacy: { clusterId: nope, bogus: 1 } }'))).toEqual([
      'pipelines.p.environments.prod.legacy.clusterId: expected an EMR cluster id such as j-ABC123',
      'pipelines.p.environments.prod.legacy.(root): Unrecognized key: "bogus"',
      'pipelines.p.environments.prod.target.jobId: Invalid input: expected number, received string',
    ]);
    const noProd = `pipelines:
  p:
    channel: C0X
    target: { engine: databricks, jobId: 1 }
    cutover:
      steps:
        - id: switch
          actions: [{ databricks.schedule: UNPAUSED }]
permissions: { approve: [U0BOB] }
`;
    expect(problems(noProd)).toEqual(['pipelines.p.cutover.steps.0.actions: databricks.schedule changes the production job, so the pipeline needs an environments.prod block (it may be empty)']);
  });
});
