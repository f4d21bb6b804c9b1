import type { Catalog, EngineConfig, Pipeline } from '../config/catalog-schema.ts';
import type { Config } from '../config/load-config.ts';
import type { Finding, Probe, RedshiftConnection, Target, Use } from './types.ts';

/** What the preflight will look at: settings that are missing now, and the targets to reach. */
export interface PreflightPlan {
  missing: Finding[];
  probes: Probe[];
}

/**
 * Walks the catalog once (pure): every engine, output, channel and topic it uses, with the
 * settings each needs. Targets are de-duplicated, each keeping every pipeline field that uses
 * it, so one unreachable job is one probe and one line per pipeline that needs it.
 */
export function planPreflight(catalog: Catalog, config: Config): PreflightPlan {
  const missing: Finding[] = [];
  const probes = new Map<string, Probe>();
  const need = (target: Target, use: Use) => {
    const key = JSON.stringify(target);
    const probe = probes.get(key) ?? { target, uses: [] };
    if (!probe.uses.some((u) => u.pipeline === use.pipeline && u.field === use.field)) probe.uses.push(use);
    probes.set(key, probe);
  };
  const databricksAuth = Boolean(config.databricks.host && (config.databricks.token || (config.databricks.clientId && config.databricks.clientSecret)));

  need({ kind: 'slack.auth' }, { field: 'SLACK_BOT_TOKEN' });
  for (const [name, p] of Object.entries(catalog.pipelines)) {
    const at = (field: string): Use => ({ pipeline: name, field });
    need({ kind: 'slack.channel', channel: p.channel }, at('channel'));
    for (const { field, engine } of enginesOf(p)) {
      switch (engine.engine) {
        case 'databricks':
          if (!databricksAuth) missing.push({ ...at(`${field}.engine`), problem: 'needs DATABRICKS_HOST and DATABRICKS_TOKEN (or DATABRICKS_CLIENT_ID and DATABRICKS_CLIENT_SECRET)' });
          else need({ kind: 'databricks.job', jobId: engine.jobId }, at(`${field}.jobId`));
          break;
        case 'emr':
          need({ kind: 'emr.cluster', clusterId: engine.clusterId }, at(`${field}.clusterId`));
          break;
        case 'airflow':
          if (!config.airflow.url) missing.push({ ...at(`${field}.engine`), problem: 'needs AIRFLOW_URL (and AIRFLOW_TOKEN, or AIRFLOW_USERNAME and AIRFLOW_PASSWORD, unless the API is open)' });
          else {
            need({ kind: 'airflow.health' }, { field: 'AIRFLOW_URL' });
            need({ kind: 'airflow.dag', dagId: engine.dagId }, at(`${field}.dagId`));
          }
          break;
        case 'stepfunctions':
          need({ kind: 'sfn.stateMachine', arn: engine.stateMachineArn }, at(`${field}.stateMachineArn`));
          break;
        case 'emr-serverless':
          need({ kind: 'emrServerless.application', applicationId: engine.applicationId }, at(`${field}.applicationId`));
          break;
        case 'redshift':
          need({ kind: 'redshift.database', connection: redshiftConnection(engine) }, at(`${field}.${engine.clusterIdentifier ? 'clusterIdentifier' : 'workgroupName'}`));
          break;
        case 'sandbox':
          break;
      }
    }
    p.outputs.forEach((o, i) => {
      const tables = [o.legacy, o.target].filter((d) => 'table' in d).length;
      const warehouseNeeded = tables === 2 || o.engine === 'warehouse';
      if (tables > 0 && !databricksAuth) missing.push({ ...at(`outputs.${i}`), problem: `output "${o.name}" reads a Unity Catalog table: needs DATABRICKS_HOST and a token` });
      if (warehouseNeeded && !config.databricks.warehouseId) missing.push({ ...at(`outputs.${i}`), problem: `output "${o.name}" is diffed in the SQL warehouse: needs DATABRICKS_WAREHOUSE_ID` });
      for (const side of ['legacy', 'target'] as const) {
        const d = o[side];
        if ('path' in d && /^s3a?:\/\//.test(d.path)) need({ kind: 's3.prefix', url: literalPrefix(d.path) }, at(`outputs.${i}.${side}.path`));
        if ('glue' in d) {
          const [database, table] = d.glue.split('.') as [string, string];
          need({ kind: 'glue.table', database, table, ...(d.catalogId ? { catalogId: d.catalogId } : {}) }, at(`outputs.${i}.${side}.glue`));
        }
        if ('redshift' in d && d.database) {
          need({ kind: 'redshift.database', connection: redshiftConnection({ ...d, database: d.database }) }, at(`outputs.${i}.${side}.redshift`));
          if (d.unload) need({ kind: 's3.prefix', url: literalPrefix(d.unload.to) }, at(`outputs.${i}.${side}.unload.to`));
        }
      }
    });
    p.cutover?.steps.forEach((step, s) => {
      for (const list of ['actions', 'rollback'] as const) {
        step[list].forEach((action, a) => {
          const use = at(`cutover.steps.${s}.${list}.${a}`);
          if ('airflow.pauseDag' in action || 'airflow.unpauseDag' in action) {
            const dagId = 'airflow.pauseDag' in action ? action['airflow.pauseDag'] : action['airflow.unpauseDag'];
            if (!config.airflow.url) missing.push({ ...use, problem: 'an Airflow action needs AIRFLOW_URL' });
            else need({ kind: 'airflow.dag', dagId }, use);
          }
          if ('sns.publish' in action && typeof action['sns.publish'] === 'string') need({ kind: 'sns.topic', arn: action['sns.publish'] }, use);
          // The legacy schedules a step switches off or on must exist and be Cutover's to change.
          if ('scheduler.schedule' in action) need({ kind: 'scheduler.schedule', name: action['scheduler.schedule'].name, group: action['scheduler.schedule'].group ?? 'default' }, use);
          if ('events.rule' in action) {
            const r = action['events.rule'];
            need({ kind: 'events.rule', name: r.name, ...(r.eventBus ? { eventBus: r.eventBus } : {}), redshiftQuery: false }, use);
          }
          if ('redshift.scheduledQuery' in action) {
            const q = action['redshift.scheduledQuery'];
            need({ kind: 'events.rule', name: q.rule, ...(q.eventBus ? { eventBus: q.eventBus } : {}), redshiftQuery: true }, use);
          }
        });
      }
    });
  }
  if (config.databricks.warehouseId && databricksAuth) need({ kind: 'databricks.warehouse', warehouseId: config.databricks.warehouseId }, { field: 'DATABRICKS_WAREHOUSE_ID' });
  if (catalog.alerts.snsTopicArn) need({ kind: 'sns.topic', arn: catalog.alerts.snsTopicArn }, { field: 'alerts.snsTopicArn' });
  return { missing, probes: [...probes.values()] };
}

/** The connection fields of a Redshift engine or dataset, without the unset ones (targets compare by their JSON). */
function redshiftConnection(c: RedshiftConnection): RedshiftConnection {
  return Object.fromEntries(Object.entries({ clusterIdentifier: c.clusterIdentifier, workgroupName: c.workgroupName, database: c.database, secretArn: c.secretArn, dbUser: c.dbUser }).filter(([, v]) => v !== undefined)) as unknown as RedshiftConnection;
}

/** The engine blocks of a pipeline, with their catalog paths. */
function enginesOf(p: Pipeline): Array<{ field: string; engine: EngineConfig }> {
  return [...(p.legacy ? [{ field: 'legacy', engine: p.legacy }] : []), { field: 'target', engine: p.target }];
}

/**
 * The part of an S3 path before its first template or glob, cut back to a folder: what can be
 * listed without knowing the period (`s3://lake/out/{{period}}/` → `s3://lake/out/`).
 */
export function literalPrefix(path: string): string {
  const cut = path.search(/\{\{|[*?[]/);
  if (cut < 0) return path;
  const head = path.slice(0, cut);
  return head.slice(0, head.lastIndexOf('/') + 1);
}
