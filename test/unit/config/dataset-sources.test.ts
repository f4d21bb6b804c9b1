import { describe, expect, it } from 'vitest';
import { parseCatalog } from '../../../src/config/load-catalog.ts';
import type { ConfigError } from '../../../src/errors.ts';
import { renderDataset } from '../../../src/datasets/render-dataset.ts';

const catalog = (legacyEngine: string, legacyDataset: string) => `
pipelines:
  finance:
    channel: C0FIN
    params: { region: { default: eu } }
    legacy: ${legacyEngine}
    target: { engine: databricks, jobId: 1 }
    outputs:
      - name: revenue
        key: [id]
        legacy: ${legacyDataset}
        target: { path: "s3://lake/revenue/{{period}}/" }
`;
const REDSHIFT_ENGINE = '{ engine: redshift, clusterIdentifier: finance-prod, database: dev, secretArn: "arn:aws:secretsmanager:us-east-1:111122223333:secret:x", sql: "CALL p({{period}})" }';
const SFN_ENGINE = '{ engine: stepfunctions, stateMachineArn: "arn:aws:states:us-east-1:111122223333:stateMachine:m" }';
const UNLOAD = 'unload: { to: "s3://unload/cutover/{{run}}/", iamRole: "arn:aws:iam::111122223333:role/unload" }';
const problems = (text: string) => {
  try {
    parseCatalog(text);
    return [];
  } catch (err) {
    return (err as ConfigError).problems;
  }
};

describe('glue: and redshift: datasets in the catalog', () => {
  it('a redshift: dataset takes its connection from the engine: redshift legacy side', () => {
    const c = parseCatalog(catalog(REDSHIFT_ENGINE, `{ redshift: finance.revenue, where: "period = {{period}} and region = {{param.region}}", ${UNLOAD} }`));
    const d = c.pipelines.finance!.outputs[0]!.legacy;
    expect(d).toMatchObject({ clusterIdentifier: 'finance-prod', database: 'dev', secretArn: 'arn:aws:secretsmanager:us-east-1:111122223333:secret:x', unload: { format: 'parquet' } });
    expect(renderDataset(d, { period: '2026-04', params: { region: 'eu' } })).toMatchObject({
      where: 'period = :period and region = :param_region',
      parameters: { period: '2026-04', param_region: 'eu' },
      unload: { to: 's3://unload/cutover/{{run}}/' },
    });
  });

  it('without a redshift legacy engine the dataset names its own cluster or workgroup', () => {
    expect(problems(catalog(SFN_ENGINE, `{ redshift: finance.revenue, ${UNLOAD} }`))).toEqual([expect.stringMatching(/legacy.clusterIdentifier: set clusterIdentifier or workgroupName/)]);
    expect(problems(catalog(SFN_ENGINE, `{ redshift: finance.revenue, workgroupName: finance, ${UNLOAD} }`))).toEqual([expect.stringMatching(/legacy.database: set the database/)]);
    expect(problems(catalog(SFN_ENGINE, `{ redshift: finance.revenue, workgroupName: finance, database: dev, ${UNLOAD} }`))).toEqual([]);
  });

  it('refuses a quoted placeholder in where:, an unload.to without {{run}}, {{run}} elsewhere, and neither unload nor directRowsUnder', () => {
    expect(problems(catalog(REDSHIFT_ENGINE, `{ redshift: finance.revenue, where: "period = '{{period}}'", ${UNLOAD} }`))).toEqual([expect.stringMatching(/legacy.where: \{\{period\}\} is inside a quoted SQL string/)]);
    expect(problems(catalog(REDSHIFT_ENGINE, '{ redshift: finance.revenue, unload: { to: "s3://unload/cutover/", iamRole: "arn:aws:iam::111122223333:role/unload" } }'))).toEqual([expect.stringMatching(/legacy.unload.to: expected s3:\/\/bucket\/prefix\/\{\{run\}\}\//)]);
    expect(problems(catalog(REDSHIFT_ENGINE, '{ path: "s3://legacy/{{run}}/" }'))).toEqual([expect.stringMatching(/legacy.path: unknown placeholder \{\{run\}\}/)]);
    expect(problems(catalog(REDSHIFT_ENGINE, '{ redshift: finance.revenue }'))).toEqual([expect.stringMatching(/legacy.unload: say where Cutover may UNLOAD/)]);
    expect(problems(catalog(REDSHIFT_ENGINE, '{ redshift: finance.revenue, directRowsUnder: 5000 }'))).toEqual([]);
  });

  it('a glue: dataset: database.table in lower case, partition values templated', () => {
    const c = parseCatalog(catalog(SFN_ENGINE, '{ glue: analytics.insights, partition: { period: "{{period}}", region: "{{param.region}}" } }'));
    expect(renderDataset(c.pipelines.finance!.outputs[0]!.legacy, { period: '2026-04', params: { region: 'eu' } })).toEqual({ glue: 'analytics.insights', partition: { period: '2026-04', region: 'eu' } });
    expect(problems(catalog(SFN_ENGINE, '{ glue: Analytics.Insights }'))).toEqual([expect.stringMatching(/legacy.glue: expected database.table in lower case/)]);
    expect(problems(catalog(SFN_ENGINE, '{ glue: analytics.insights, partition: {} }'))).toEqual([expect.stringMatching(/legacy.partition: name at least one partition column/)]);
  });
});
