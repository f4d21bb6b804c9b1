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
    expect(p.target).toEqual({ engine: 'databricks', jobId: 123, jobParameters: { period: '{{period}}', region: '{{param.region}}' } });
    expect(p.params).toEqual({ region: { pattern: '^[a-z]{2}$', default: 'eu', description: 'Sales region' } });
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

describe('finding 1: params and templates in the catalog', () => {
  const withOutput = (extra: string, check = '', target = 's3://lake/out/{{period}}/') => `pipelines:
  p1:
    channel: C0PIPELINES
    target: { engine: databricks, jobId: 1, jobParameters: { region: "{{param.region}}" } }
${extra}    outputs:
      - name: o
        key: [id]
        legacy: { path: "s3://legacy/out/{{period}}/" }
        target: { path: "${target}" }
${check ? `        checks:\n          - sql: "${check}"\n` : ''}`;

  it('finding 1: a placeholder inside a quoted SQL string is a catalog error', () => {
    const problems = problemsOf(withOutput(`    params: { region: { pattern: "^[a-z]{2}$" } }\n`, "select * from {{output}} where region = '{{param.region}}' -- {{period}}"));
    expect(problems).toEqual([
      'pipelines.p1.outputs.0.checks.0.sql: {{param.region}} is inside a quoted SQL string or comment: write it without quotes, it is bound as a value',
      'pipelines.p1.outputs.0.checks.0.sql: {{period}} is inside a quoted SQL string or comment: write it without quotes, it is bound as a value',
    ]);
    expect(() => parseCatalog(withOutput(`    params: { region: { pattern: "^[a-z]{2}$" } }\n`, "select * from {{output}} where region = {{param.region}} and note <> 'x'"))).not.toThrow();
  });

  it('finding 1: {{param.X}} must be declared, declarations must be sound', () => {
    expect(problemsOf(withOutput(''))).toEqual(['pipelines.p1.target.jobParameters.region: {{param.region}} is not declared under pipelines.p1.params']);
    expect(problemsOf(withOutput(`    params: { region: { pattern: "^[a-z]{2}$", default: EU }, period: {}, bad: { pattern: "(" } }\n`))).toEqual([
      'pipelines.p1.params.region.default: "EU" does not match the pattern ^[a-z]{2}$',
      'pipelines.p1.params.period: "period" is set by Cutover itself and cannot be a param',
      'pipelines.p1.params.bad.pattern: not a valid regular expression',
    ]);
  });

  it('finding 1: a placeholder may not decide the scheme, bucket or root of a path', () => {
    const params = `    params: { region: {} }\n`;
    expect(problemsOf(withOutput(params, '', 's3://{{param.region}}-lake/out/'))).toEqual([
      'pipelines.p1.outputs.0.target.path: a placeholder may not stand in the scheme or the bucket of a path: put it after "<scheme>://<bucket>/"',
    ]);
    expect(problemsOf(withOutput(params, '', '{{param.region}}/out/'))).toEqual([
      'pipelines.p1.outputs.0.target.path: a path may not start with a placeholder: begin it with the folder the output lives in',
    ]);
    expect(() => parseCatalog(withOutput(params, '', 's3://lake/{{param.region}}/out/'))).not.toThrow();
  });
});

describe('issue 18: the legacy estate in the catalog', () => {
  const target = `    target: { engine: databricks, jobId: 1 }\n`;
  const legacy = (engine: string) => minimal(`    channel: C0X\n    legacy: ${engine}\n${target}`);

  it('a Redshift legacy needs exactly one of a cluster and a workgroup, and one way to sign in', () => {
    expect(problemsOf(legacy('{ engine: redshift, database: dev, sql: "CALL etl.p()" }'))).toEqual([
      'pipelines.p1.legacy.clusterIdentifier: set exactly one of clusterIdentifier (provisioned) or workgroupName (Serverless)',
    ]);
    expect(problemsOf(legacy('{ engine: redshift, workgroupName: wg1, database: dev, dbUser: etl, secretArn: arn:x, sql: "CALL etl.p()" }'))).toEqual([
      'pipelines.p1.legacy.dbUser: set secretArn or dbUser, not both',
      'pipelines.p1.legacy.dbUser: a Serverless workgroup takes no dbUser (the user comes from the IAM identity or the secret)',
    ]);
    expect(() => parseCatalog(legacy('{ engine: redshift, clusterIdentifier: analytics-prod, database: dev, dbUser: etl, sql: "CALL etl.p({{period}})" }'))).not.toThrow();
  });

  it('a Redshift statement binds its values, so a placeholder inside quotes is a catalog error', () => {
    expect(problemsOf(legacy(`{ engine: redshift, clusterIdentifier: c1, database: dev, sql: "CALL etl.p('{{period}}')" }`))).toEqual([
      'pipelines.p1.legacy.sql: {{period}} is inside a quoted SQL string or comment: write it without quotes, it is bound as a statement parameter',
    ]);
  });

  it('Step Functions takes a state machine ARN; EMR Serverless an application, a role and a Spark entry point', () => {
    expect(problemsOf(legacy('{ engine: stepfunctions, stateMachineArn: "arn:aws:lambda:us-east-1:111122223333:function:x" }'))[0]).toMatch(/^pipelines\.p1\.legacy\.stateMachineArn: expected a state machine ARN/);
    expect(problemsOf(legacy('{ engine: emr-serverless, applicationId: 00f1, sparkSubmit: { entryPoint: "s3://j/a.py" } }'))).toEqual(['pipelines.p1.legacy.executionRoleArn: Invalid input: expected string, received undefined']);
    const ok = legacy('{ engine: stepfunctions, stateMachineArn: "arn:aws:states:us-east-1:111122223333:stateMachine:billing", input: { period: "{{period}}", n: 3 } }');
    expect(parseCatalog(ok).pipelines.p1!.legacy).toMatchObject({ input: { period: '{{period}}', n: 3 } });
  });

  it('cutover actions for schedules, rules and Redshift scheduled queries name what they change', () => {
    const step = (action: string) => minimal(`    channel: C0X\n${target}    cutover:\n      approvers: { users: [U0BOB] }\n      steps:\n        - id: switch\n          actions: [${action}]\n`);
    expect(() => parseCatalog(step('{ scheduler.schedule: { name: billing-monthly, group: etl, state: DISABLED } }'))).not.toThrow();
    expect(() => parseCatalog(step('{ events.rule: { name: billing-nightly, state: DISABLED } }'))).not.toThrow();
    expect(() => parseCatalog(step('{ redshift.scheduledQuery: { rule: QS2-nightly-rollup, state: DISABLED } }'))).not.toThrow();
    expect(problemsOf(step('{ scheduler.schedule: { name: billing-monthly, state: PAUSED } }'))[0]).toMatch(/scheduler\.schedule\.state/);
  });
});

describe('issue 15: every problem in one pass', () => {
  // Before, the schema's errors hid the cross-field ones: a user fixed the check kind, ran
  // `cutover validate` again and only then learnt of the duplicate step id and the approvers.
  const broken = `pipelines:
  orders:
    channel: C0PIPELINES
    target: { engine: databricks, jobId: 1 }
    outputs:
      - name: orders
        key: [id]
        legacy: { path: s3://legacy/orders/ }
        target: { path: s3://lake/orders/ }
        checks:
          - not_nul: [id]
          - { unique: [id], not_null: [id] }
      - name: orders
        key: [id]
        legacy: { path: s3://legacy/orders/ }
        target: { path: s3://lake/orders/ }
    cutover:
      approvers: { users: [U0BOB], min: 2 }
      steps:
        - id: pause-legacy
          actions: [{ emr.cancelPendng: true }, { databricks.schedule: PAUSE }]
        - id: pause-legacy
  fine:
    channel: C0PIPELINES
    target: { engine: databricks, jobId: 1, jobParameters: { p: "{{perod}}" } }
alerts:
  routes: [{ match: { AlarmName: x }, pipeline: nope }]
`;

  it('reports schema errors, list rules and cross-field rules of the valid parts together', () => {
    const checkKinds = 'not_null, unique, row_count, accepted_values, range, regex, freshness, relationships, row_count_change, sql';
    const actions = 'databricks.schedule, emr.cancelPending, airflow.pauseDag, airflow.unpauseDag, scheduler.schedule, events.rule, redshift.scheduledQuery, sns.publish, stage';
    expect(problemsOf(broken)).toEqual([
      `pipelines.orders.outputs.0.checks.0: unknown check kind "not_nul" (valid check kinds: ${checkKinds})`,
      'pipelines.orders.outputs.0.checks.1: one check kind per list item, found unique and not_null',
      `pipelines.orders.cutover.steps.0.actions.0: unknown action "emr.cancelPendng" (valid actions: ${actions})`,
      'pipelines.orders.cutover.steps.0.actions.1.databricks.schedule: Invalid option: expected one of "PAUSED"|"UNPAUSED"',
      'pipelines.orders.outputs.1.name: duplicate output name "orders"',
      'pipelines.orders.cutover.steps.1.id: duplicate step id "pause-legacy"',
      'pipelines.orders.cutover.approvers.min: needs 2 approvers but only 1 is listed in users',
      'pipelines.fine.target.jobParameters.p: unknown placeholder {{perod}}',
      'alerts.routes.0.pipeline: no pipeline named "nope"',
    ]);
  });

  it('reports the list rules once when the catalog is otherwise valid', () => {
    const problems = problemsOf(`pipelines:
  p1:
    channel: C0PIPELINES
    target: { engine: databricks, jobId: 1 }
    cutover:
      approvers: { users: [U0BOB, U0CAROL], min: 3 }
      steps: [{ id: go }, { id: go }]
`);
    expect(problems).toEqual(['pipelines.p1.cutover.steps.1.id: duplicate step id "go"', 'pipelines.p1.cutover.approvers.min: needs 3 approvers but only 2 are listed in users']);
  });

  it('lists exactly the kinds the schema accepts', async () => {
    const { checkSchema, actionSchema, CHECK_KINDS, ACTION_KINDS } = await import('../../../src/config/catalog-schema.ts');
    const keysOf = (options: readonly { shape: object }[]) => options.map((o) => Object.keys(o.shape)[0]).sort();
    expect(keysOf(checkSchema.options)).toEqual([...CHECK_KINDS].sort());
    expect(keysOf(actionSchema.options)).toEqual([...ACTION_KINDS].sort());
  });

  it('a check given as bare text names the shape it needs', () => {
    const problems = problemsOf(`pipelines:
  p1:
    channel: C0PIPELINES
    target: { engine: databricks, jobId: 1 }
    outputs: [{ name: o, key: [id], legacy: { path: a }, target: { path: b }, checks: [not_null] }]
`);
    expect(problems).toEqual([expect.stringMatching(/^pipelines\.p1\.outputs\.0\.checks\.0: expected an object such as \{ not_null: … \}, not the text "not_null" \(valid check kinds: not_null, /)]);
  });
});
