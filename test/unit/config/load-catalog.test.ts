import { describe, expect, it } from 'vitest';
import { loadCatalog, parseCatalog } from '../../../src/config/load-catalog.ts';
import { ConfigError } from '../../../src/errors.ts';

const problemsOf = (yaml: string): string[] => {
  try {
    parseCatalog(yaml);
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  throw new Error('expected the catalog to be rejected');
};

const minimal = (pipeline: string) => `pipelines:\n  p1:\n${pipeline}`;

describe('catalog validation', () => {
  it('accepts the example catalog and fills defaults', () => {
    const catalog = loadCatalog('examples/pipelines.yaml');
    const p = catalog.pipelines['incites-monthly']!;
    expect(p.target).toEqual({ engine: 'databricks', jobId: 123, jobParameters: { period: '{{period}}' } });
    expect(p.outputs[0]!.compare.timestamps).toBe('ms');
    expect(p.maxRunHours).toBe(48);
    expect(catalog.pii.default).toBe('mask');
  });

  it('names every bad field by its path, not just the first', () => {
    const problems = problemsOf(
      minimal(`    channel: general
    stage: beta
    target: { engine: databricks, jobId: "abc" }
    legacy: { engine: emr, clusterId: ABC, step: { name: x, args: [] } }
    outputs:
      - name: Insights
        key: []
        legacy: { path: a }
        target: { path: b }
`),
    );
    const paths = problems.map((p) => p.split(':')[0]);
    expect(paths).toEqual(
      expect.arrayContaining([
        'pipelines.p1.channel',
        'pipelines.p1.stage',
        'pipelines.p1.target.jobId',
        'pipelines.p1.legacy.clusterId',
        'pipelines.p1.legacy.step.args',
        'pipelines.p1.outputs.0.name',
        'pipelines.p1.outputs.0.key',
      ]),
    );
  });

  it('rejects misspelt keys instead of ignoring them', () => {
    const problems = problemsOf(minimal(`    channel: C0X\n    target: { engine: databricks, jobId: 1, jobParams: {} }\n`));
    expect(problems.join('\n')).toMatch(/pipelines\.p1\.target.*jobParams/);
  });

  it('rejects unknown template placeholders and dangling references', () => {
    const problems = problemsOf(`pipelines:
  p1:
    channel: C0X
    target: { engine: databricks, jobId: 1, jobParameters: { period: "{{perod}}" } }
    outputs:
      - name: a
        key: [id]
        legacy: { path: x }
        target: { path: y }
        checks:
          - relationships: { column: id, to: { output: missing, column: id } }
          - regex: { column: id, pattern: "([" }
alerts:
  routes: [{ match: { AlarmName: x }, pipeline: nope }]
`);
    expect(problems).toEqual(
      expect.arrayContaining([
        'pipelines.p1.target.jobParameters.period: unknown placeholder {{perod}}',
        'pipelines.p1.outputs.0.checks.0.relationships.to.output: no output named "missing"',
        'pipelines.p1.outputs.0.checks.1.regex.pattern: not a valid regular expression',
        'alerts.routes.0.pipeline: no pipeline named "nope"',
      ]),
    );
  });

  it('reports an invalid check by its path', () => {
    const problems = problemsOf(`pipelines:
  p1:
    channel: C0X
    target: { engine: databricks, jobId: 1 }
    outputs:
      - name: a
        key: [id]
        legacy: { path: x }
        target: { path: y }
        checks:
          - not_nul: [id]
          - range: { column: amount }
`);
    expect(problems.some((p) => p.startsWith('pipelines.p1.outputs.0.checks.0'))).toBe(true);
    expect(problems).toContain('pipelines.p1.outputs.0.checks.1.range: range needs min or max');
  });

  it('reports YAML syntax errors and unreadable files', () => {
    expect(problemsOf('pipelines: [unclosed')[0]).toMatch(/^YAML:/);
    expect(() => loadCatalog('/nonexistent/pipelines.yaml')).toThrow(/cannot read the catalog/);
  });
});
