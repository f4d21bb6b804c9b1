import { z } from 'zod';

/**
 * The pipeline catalog (`pipelines.yaml`), documented field by field in docs/catalog.md (a test
 * fails while a field is missing there) and published as docs/pipelines.schema.json (run `npm run
 * catalog-schema` after a change). Objects are strict so a misspelt key is reported instead of
 * silently ignored.
 */

const slackId = z.string().regex(/^[A-Z][A-Z0-9]{2,}$/, 'expected a Slack id such as C0PIPELINES or U0ALICE');
const period = z.string().regex(/^\d{4}-(0[1-9]|1[0-2])$/, 'expected YYYY-MM');
const stringMap = z.record(z.string(), z.union([z.string(), z.number(), z.boolean()]).transform(String));

export const stageSchema = z.enum(['legacy', 'parallel', 'cutover', 'live']);
export const engineNameSchema = z.enum(['databricks', 'emr', 'airflow', 'sandbox', 'redshift', 'stepfunctions', 'emr-serverless']);

const clusterIdSchema = z.string().regex(/^j-[A-Z0-9]+$/, 'expected an EMR cluster id such as j-ABC123');

/**
 * How much an EMR cluster costs per instance-hour, by EC2 instance type (USD): `ec2` the on-demand
 * price, `emr` the EMR charge on top (default: `emrUplift` × `ec2`). Used for a shared cluster,
 * whose cost is split by time rather than read from Cost Explorer (src/cost/emr-share.ts).
 */
const instancePricesSchema = z.record(
  z.string().regex(/^[a-z0-9-]+\.[a-z0-9]+$/, 'expected an EC2 instance type such as m5.xlarge'),
  z.strictObject({ ec2: z.number().nonnegative(), emr: z.number().nonnegative().optional() }),
);

/**
 * Where the cost of a legacy run comes from (issue 16). `transient`: the cluster ran only this
 * pipeline's work, so AWS Cost Explorer's cost for its `aws:elasticmapreduce:job-flow-id` tag is the
 * run's. `shared`: a long-running cluster; the run pays for the cluster's instance-hours while its
 * step ran, at `instancePrices`.
 */
const emrCostSchema = z.strictObject({
  cluster: z.enum(['shared', 'transient']).default('shared'),
  instancePrices: instancePricesSchema.default({}),
  /** The EMR charge as a share of the EC2 price where `instancePrices` gives no `emr`. Default 0.25. */
  emrUplift: z.number().nonnegative().default(0.25),
});

/** An Airflow DAG's cost is that of the engine beneath it: an EMR cluster it starts or one it shares. */
const airflowCostSchema = z.union([
  z.strictObject({
    engine: z.literal('emr'),
    cluster: z.literal('transient'),
    /** The task whose XCom holds the cluster id (EmrCreateJobFlowOperator returns it). */
    clusterIdFrom: z.strictObject({ task: z.string().min(1), key: z.string().min(1).default('return_value') }),
  }),
  emrCostSchema.extend({ engine: z.literal('emr'), cluster: z.literal('shared'), clusterId: clusterIdSchema }),
]);

const emrEngine = z.strictObject({
  engine: z.literal('emr'),
  clusterId: clusterIdSchema,
  step: z.strictObject({ name: z.string().min(1).max(200), args: z.array(z.string()).min(1) }),
  executionRoleArn: z.string().startsWith('arn:').optional(),
  cost: emrCostSchema.optional(),
});

const airflowEngine = z.strictObject({
  engine: z.literal('airflow'),
  dagId: z.string().min(1),
  conf: stringMap.default({}),
  cost: airflowCostSchema.optional(),
});

const databricksEngine = z.strictObject({
  engine: z.literal('databricks'),
  jobId: z.number().int().positive(),
  jobParameters: stringMap.default({}),
});

/**
 * A Redshift statement (typically `CALL schema.proc({{period}})`) through the Redshift Data API.
 * `{{period}}` and `{{param.X}}` are bound as statement parameters, never pasted into the SQL,
 * so they are written without quotes. A provisioned cluster authenticates with `secretArn` or
 * `dbUser` (or, with neither, as the caller's IAM identity); a Serverless workgroup with
 * `secretArn` or the IAM identity.
 */
const redshiftEngine = z
  .strictObject({
    engine: z.literal('redshift'),
    clusterIdentifier: z.string().max(63).regex(/^[a-z]([a-z0-9]|-[a-z0-9])*$/, 'expected a Redshift cluster identifier such as analytics-prod').optional(),
    workgroupName: z.string().min(3).max(128).regex(/^([a-z0-9-]+|arn:aws[\w-]*:redshift-serverless:.+:workgroup\/.+)$/, 'expected a Redshift Serverless workgroup name or ARN').optional(),
    database: z.string().min(1),
    secretArn: z.string().min(1).optional(),
    dbUser: z.string().min(1).optional(),
    sql: z.string().min(1).max(100_000),
  })
  .superRefine((v, ctx) => {
    if (Boolean(v.clusterIdentifier) === Boolean(v.workgroupName)) {
      ctx.addIssue({ code: 'custom', path: ['clusterIdentifier'], message: 'set exactly one of clusterIdentifier (provisioned) or workgroupName (Serverless)' });
    }
    if (v.secretArn && v.dbUser) ctx.addIssue({ code: 'custom', path: ['dbUser'], message: 'set secretArn or dbUser, not both' });
    if (v.workgroupName && v.dbUser) ctx.addIssue({ code: 'custom', path: ['dbUser'], message: 'a Serverless workgroup takes no dbUser (the user comes from the IAM identity or the secret)' });
  });

/** A Standard Step Functions state machine; `input` is the execution's JSON input, its strings templated. */
const stepFunctionsEngine = z.strictObject({
  engine: z.literal('stepfunctions'),
  stateMachineArn: z
    .string()
    .regex(/^arn:aws[\w-]*:states:[a-z0-9-]+:\d{12}:stateMachine:[\w-]{1,80}(:[\w$-]+)?$/, 'expected a state machine ARN (arn:aws:states:<region>:<account>:stateMachine:<name>)'),
  input: z.record(z.string(), z.unknown()).default({}),
});

/** A Spark job run on an EMR Serverless application; `sparkSubmit` has the API's own field names. */
const emrServerlessEngine = z.strictObject({
  engine: z.literal('emr-serverless'),
  applicationId: z.string().regex(/^[0-9a-z]{1,64}$/, 'expected an EMR Serverless application id such as 00fabc123def4g09'),
  executionRoleArn: z.string().startsWith('arn:'),
  sparkSubmit: z.strictObject({
    entryPoint: z.string().min(1).max(4096),
    entryPointArguments: z.array(z.string()).default([]),
    sparkSubmitParameters: z.string().max(102_400).optional(),
  }),
  /** Where the job's logs go (`s3MonitoringConfiguration.logUri`); the alert links the driver's log there. */
  logUri: z.string().startsWith('s3://').optional(),
  executionTimeoutMinutes: z.number().int().positive().max(10_080).optional(),
});

/** The playground's engine: runs in-process, writes real Parquet files (see issue 6). */
const sandboxEngine = z.strictObject({
  engine: z.literal('sandbox'),
  tasks: z.array(z.string().min(1)).min(1).default(['extract', 'transform', 'load']),
  durationMs: z.number().int().positive().default(3000),
  variant: z.string().default('baseline'),
  /** What a run costs in the playground (USD per second of run time, default 4; issue 16): plausible figures without a cloud account. */
  costPerSecond: z.number().nonnegative().optional(),
});

export const legacyEngineSchema = z.discriminatedUnion('engine', [emrEngine, airflowEngine, redshiftEngine, stepFunctionsEngine, emrServerlessEngine, sandboxEngine]);
export const targetEngineSchema = z.discriminatedUnion('engine', [databricksEngine, sandboxEngine]);

/** Delta snapshot: `run` (the version a parallel run's Databricks job committed), `latest` or a number. */
const deltaVersion = z.union([z.literal('run'), z.literal('latest'), z.number().int().nonnegative()]);

/** Text options of `csv` and `unload` sides; defaults depend on the format (src/datasets/types.ts). */
const csvOptions = z.strictObject({
  header: z.boolean().optional(),
  delimiter: z.string().min(1).max(1).optional(),
  null: z.string().optional(),
  quote: z.string().min(1).max(1).optional(),
  escape: z.union([z.boolean(), z.string().min(1).max(1)]).optional(),
});

const redshiftIdent = /^[A-Za-z_][\w$]*$/;

/**
 * A table in the AWS Glue Data Catalog, resolved through GetTable (location and format) and,
 * with `partition:`, GetPartitions: read like a `path:` of the format its storage says.
 */
const glueDataset = z.strictObject({
  glue: z
    .string()
    .regex(/^[a-z0-9_-]{1,255}\.[a-z0-9_-]{1,255}$/, 'expected database.table in lower case, as Glue stores them')
    .describe('A Glue Data Catalog table, `database.table`: its location and format (Parquet, CSV, Delta) come from GetTable; ORC, Avro, Iceberg and others are refused by name.'),
  partition: z
    .record(z.string().regex(/^[a-z_][a-z0-9_]*$/, 'expected a partition column name'), z.string())
    .refine((m) => Object.keys(m).length > 0, 'name at least one partition column')
    .optional()
    .describe('Partition column → value (templated, e.g. `period: "{{period}}"`): only the partitions GetPartitions finds for these values are read, their values added as columns.'),
  catalogId: z.string().regex(/^\d{12}$/, 'expected an AWS account id').optional().describe('The Glue catalog (AWS account id) holding the table; default the caller\'s account.'),
});

/**
 * A Redshift table read through the Data API: Cutover UNLOADs it to S3, reads the files and
 * removes them. The connection defaults to the pipeline's `engine: redshift` legacy side.
 */
const redshiftDataset = z
  .strictObject({
    redshift: z
      .string()
      .regex(/^[A-Za-z_][\w$]*\.[A-Za-z_][\w$]*$/, 'expected schema.table')
      .describe('A Redshift table, `schema.table`, unloaded by Cutover through the Redshift Data API.'),
    where: z
      .string()
      .min(1)
      .max(10_000)
      .optional()
      .describe('A SQL condition on the table (catalog text); `{{period}}` and `{{param.X}}` in it are bound as statement parameters, never pasted, so write them without quotes.'),
    columns: z.array(z.string().regex(redshiftIdent, 'expected a column name')).min(1).optional().describe('The columns to read; default all.'),
    clusterIdentifier: z.string().max(63).regex(/^[a-z]([a-z0-9]|-[a-z0-9])*$/, 'expected a Redshift cluster identifier').optional().describe('Provisioned cluster; default the legacy engine\'s.'),
    workgroupName: z.string().min(3).max(128).optional().describe('Serverless workgroup; default the legacy engine\'s.'),
    database: z.string().min(1).optional().describe('Database; default the legacy engine\'s.'),
    secretArn: z.string().min(1).optional().describe('Secrets Manager secret with the credentials; default the legacy engine\'s.'),
    dbUser: z.string().min(1).optional().describe('Database user (provisioned clusters, temporary credentials); default the legacy engine\'s.'),
    unload: z
      .strictObject({
        to: z
          .string()
          .regex(/^s3:\/\/[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]\/\S*\{\{\s*run\s*\}\}\S*\/$/, 'expected s3://bucket/prefix/{{run}}/ (a folder holding {{run}}, ending in /)')
          .describe('Where the UNLOAD writes: an S3 folder holding `{{run}}`, which Cutover replaces by a fresh id per UNLOAD, so it deletes only files it wrote.'),
        iamRole: z
          .string()
          .regex(/^arn:aws[\w-]*:iam::\d{12}:role\/[\w+=,.@/-]+$/, 'expected an IAM role ARN')
          .describe('The IAM role Redshift assumes to write to S3 (UNLOAD … IAM_ROLE).'),
        format: z
          .enum(['parquet', 'text'])
          .default('parquet')
          .describe('`parquet` (falls back to text when the cluster refuses Parquet) or `text`: pipe-delimited parts with a verbose manifest.'),
      })
      .optional()
      .describe('The UNLOAD Cutover issues; required unless the table is read through `directRowsUnder`.'),
    directRowsUnder: z
      .number()
      .int()
      .positive()
      .max(100_000)
      .optional()
      .describe('Read tables with fewer rows than this straight from GetStatementResult pages instead of unloading them.'),
  })
  .superRefine((v, ctx) => {
    if (v.clusterIdentifier && v.workgroupName) ctx.addIssue({ code: 'custom', path: ['clusterIdentifier'], message: 'set clusterIdentifier or workgroupName, not both' });
    if (v.secretArn && v.dbUser) ctx.addIssue({ code: 'custom', path: ['dbUser'], message: 'set secretArn or dbUser, not both' });
    if (!v.unload && v.directRowsUnder === undefined) ctx.addIssue({ code: 'custom', path: ['unload'], message: 'say where Cutover may UNLOAD the table (unload: { to, iamRole }), or set directRowsUnder' });
  });

const datasetSchema = z.union([
  z.strictObject({
    path: z.string().min(1),
    /** Unset: `delta` when the folder holds `_delta_log/`, else `parquet`. */
    format: z.enum(['parquet', 'csv', 'delta', 'unload']).optional(),
    csv: csvOptions.optional(),
    version: deltaVersion.optional(),
  }),
  z.strictObject({
    table: z.string().regex(/^[\w`-]+\.[\w`-]+\.[\w`-]+$/, 'expected catalog.schema.table'),
    version: deltaVersion.optional(),
  }),
  glueDataset,
  redshiftDataset,
]);

const compareSchema = z.strictObject({
  ignore: z.array(z.string()).default([]),
  numeric: z
    .strictObject({ abs: z.number().nonnegative().optional(), rel: z.number().nonnegative().optional() })
    .default({}),
  timestamps: z.enum(['s', 'ms', 'us']).default('us'),
  trim: z.boolean().default(false),
  ignoreCase: z.boolean().default(false),
});

const columns = z.array(z.string().min(1)).min(1);

/**
 * A list item that is an object with exactly one key naming its kind (a check, a cutover action).
 * When that key is not a known kind, the error names it and lists the valid ones, instead of the
 * union's branch-by-branch complaints; anything else falls through to the branch that fits best.
 */
function oneKindOf(what: string, kinds: readonly string[]) {
  return (issue: { input?: unknown }): string | undefined => {
    const input = issue.input;
    const valid = `valid ${what}s: ${kinds.join(', ')}`;
    if (typeof input === 'string') return `expected an object such as { ${kinds[0]}: … }, not the text "${input}" (${valid})`;
    if (!input || typeof input !== 'object' || Array.isArray(input)) return undefined;
    const keys = Object.keys(input);
    const unknown = keys.filter((k) => !kinds.includes(k));
    if (unknown.length > 0) return `unknown ${what} "${unknown[0]}" (${valid})`;
    if (keys.length !== 1) return `one ${what} per list item, found ${keys.length === 0 ? 'none' : keys.join(' and ')}`;
    return undefined;
  };
}

/** Every check kind, in the order docs/catalog.md lists them. */
export const CHECK_KINDS = ['not_null', 'unique', 'row_count', 'accepted_values', 'range', 'regex', 'freshness', 'relationships', 'row_count_change', 'sql'] as const;

export const checkSchema = z.union([
  z.strictObject({ not_null: columns }),
  z.strictObject({ unique: columns }),
  z.strictObject({
    row_count: z
      .strictObject({ min: z.number().int().nonnegative().optional(), max: z.number().int().nonnegative().optional() })
      .refine((v) => v.min !== undefined || v.max !== undefined, 'row_count needs min or max'),
  }),
  z.strictObject({ accepted_values: z.strictObject({ column: z.string(), values: z.array(z.union([z.string(), z.number()])).min(1) }) }),
  z.strictObject({
    range: z
      .strictObject({ column: z.string(), min: z.number().optional(), max: z.number().optional() })
      .refine((v) => v.min !== undefined || v.max !== undefined, 'range needs min or max'),
  }),
  z.strictObject({ regex: z.strictObject({ column: z.string(), pattern: z.string().min(1) }) }),
  z.strictObject({ freshness: z.strictObject({ column: z.string(), maxAgeHours: z.number().positive() }) }),
  z.strictObject({
    relationships: z.strictObject({ column: z.string(), to: z.strictObject({ output: z.string(), column: z.string() }) }),
  }),
  z.strictObject({ row_count_change: z.strictObject({ maxRelative: z.number().nonnegative() }) }),
  z.strictObject({ sql: z.string().min(1) }),
], { error: oneKindOf('check kind', CHECK_KINDS) });

const outputSchema = z.strictObject({
  name: z.string().regex(/^[a-z][a-z0-9_]*$/, 'expected a lower-case identifier'),
  key: columns,
  legacy: datasetSchema,
  target: datasetSchema,
  compare: compareSchema.default({ ignore: [], numeric: {}, timestamps: 'us', trim: false, ignoreCase: false }),
  checks: z.array(checkSchema).default([]),
  pii: z.array(z.string()).default([]),
  /** `warehouse`: the whole diff runs in the SQL warehouse, a `path:` side read with `read_files`. */
  engine: z.enum(['duckdb', 'warehouse']).optional(),
});

const enabledState = z.enum(['ENABLED', 'DISABLED']);
const awsName = z.string().regex(/^[\w.-]{1,64}$/, 'expected a name of letters, digits, . _ or -');

/** Every cutover action, in the order docs/catalog.md lists them. */
export const ACTION_KINDS = [
  'databricks.schedule',
  'emr.cancelPending',
  'airflow.pauseDag',
  'airflow.unpauseDag',
  'scheduler.schedule',
  'events.rule',
  'redshift.scheduledQuery',
  'sns.publish',
  'stage',
] as const;

/** One cutover action: an object with exactly one known key. */
export const actionSchema = z.union([
  /** An EventBridge Scheduler schedule (e.g. the one that starts a Step Functions state machine). */
  z.strictObject({ 'scheduler.schedule': z.strictObject({ name: awsName, group: awsName.optional(), state: enabledState }) }),
  /** An EventBridge rule on the default bus or `eventBus`. */
  z.strictObject({ 'events.rule': z.strictObject({ name: awsName, eventBus: z.string().min(1).optional(), state: enabledState }) }),
  /** A Redshift scheduled query: an EventBridge rule whose target runs SQL through the Redshift Data API. */
  z.strictObject({ 'redshift.scheduledQuery': z.strictObject({ rule: awsName, eventBus: z.string().min(1).optional(), state: enabledState }) }),
  z.strictObject({ 'databricks.schedule': z.enum(['PAUSED', 'UNPAUSED']) }),
  z.strictObject({ 'emr.cancelPending': z.literal(true) }),
  z.strictObject({ 'airflow.pauseDag': z.string().min(1) }),
  z.strictObject({ 'airflow.unpauseDag': z.string().min(1) }),
  z.strictObject({ 'sns.publish': z.union([z.string(), z.literal(true)]) }),
  z.strictObject({ stage: stageSchema }),
], { error: oneKindOf('action', ACTION_KINDS) });

const gateSchema = z.strictObject({
  cleanParallelRuns: z.number().int().positive().optional(),
  dqGreen: z.boolean().optional(),
  /** Cost gate (issue 16): the Databricks cost of each of the last `overLastRuns` clean parallel runs is at most this × the legacy cost. */
  costRatioAtMost: z.number().positive().optional(),
  /** How many clean parallel runs the cost gate looks at. Default 3. */
  overLastRuns: z.number().int().positive().optional(),
});

const approversSchema = z.strictObject({ users: z.array(slackId).min(1), min: z.number().int().positive().default(1) });

const cutoverSchema = z.strictObject({
  approvers: approversSchema.optional(),
  requestTtlHours: z.number().positive().default(24),
  steps: z
    .array(
      z.strictObject({
        id: z.string().regex(/^[a-z][a-z0-9-]*$/, 'expected a kebab-case step id'),
        gate: gateSchema.optional(),
        actions: z.array(actionSchema).default([]),
        rollback: z.array(actionSchema).default([]),
      }),
    )
    .min(1),
});

/** One `--param` a pipeline's runs may take: its whole value must match `pattern` (DESIGN "The pipeline catalog"). */
const paramSpecSchema = z.strictObject({
  pattern: z.string().min(1).optional(),
  default: z.union([z.string(), z.number(), z.boolean()]).transform(String).optional(),
  description: z.string().optional(),
});

/**
 * Fields of `legacy:` / `target:` an environment sets differently (job id, cluster, step, DAG,
 * parameters…), top-level field by field; never `engine`. Checked against the side's own schema
 * once merged (src/config/load-catalog.ts), so a bad field is named like any other.
 */
const engineOverrideSchema = z.record(z.string(), z.unknown()).refine((o) => !Object.hasOwn(o, 'engine'), 'an environment runs the same engine: leave out "engine"');

/** Per environment, what differs from the base (`dev`) config. A pipeline without `prod` has no prod runs. */
const environmentsSchema = z.strictObject({
  prod: z.strictObject({ legacy: engineOverrideSchema.optional(), target: engineOverrideSchema.optional() }).optional(),
});

export const pipelineSchema = z.strictObject({
  description: z.string().default(''),
  channel: slackId,
  owners: z.array(slackId).default([]),
  stage: stageSchema.default('legacy'),
  legacy: legacyEngineSchema.optional(),
  target: targetEngineSchema,
  /** How long a run may be tracked before Cutover gives up on it and marks it timed_out. */
  maxRunHours: z.number().positive().default(48),
  outputs: z.array(outputSchema).default([]),
  cutover: cutoverSchema.optional(),
  alerts: z.strictObject({ remindAfterHours: z.number().positive().optional() }).optional(),
  /** Per-environment engine settings; `legacy:`/`target:` above are the `dev` environment's. */
  environments: environmentsSchema.default({}),
  /** Every `--param` a run may take; `{{param.NAME}}` may name only these. */
  params: z.record(z.string().regex(/^[A-Za-z_][\w-]*$/, 'expected a parameter name such as region'), paramSpecSchema).default({}),
});

/**
 * A name → entry map without a prototype, so a lookup by any typed name (`constructor`,
 * `__proto__`, `toString`) finds only what the catalog declares (issue 14 finding 19).
 */
function ownKeysOnly<T>(record: Record<string, T>): Record<string, T> {
  return Object.assign(Object.create(null) as Record<string, T>, record);
}

export const catalogSchema = z.strictObject({
  pipelines: z.record(z.string().regex(/^[a-z][a-z0-9-]*$/, 'pipeline names are kebab-case'), pipelineSchema).transform(ownKeysOnly),
  permissions: z
    .strictObject({
      run: z.strictObject({ prod: z.array(slackId).default([]), dev: z.array(slackId).optional() }).default({ prod: [] }),
      approve: z.array(slackId).default([]),
      /** Acknowledge, mute and re-run DQ alerts; unset: the pipeline's owners and `run.prod`. */
      dq: z.array(slackId).optional(),
      /** `/pipeline diff`; unset: the pipeline's owners and `run.prod`. */
      diff: z.array(slackId).optional(),
    })
    .default({ run: { prod: [] }, approve: [] }),
  alerts: z
    .strictObject({
      snsTopicArn: z.string().startsWith('arn:aws:sns:').optional(),
      inboundTopics: z.array(z.string().startsWith('arn:aws:sns:')).default([]),
      /** Inbound topics whose DQ results count as `dqGreen` evidence (default: none, only Cutover's own checks). */
      trustedTopics: z.array(z.string().startsWith('arn:aws:sns:')).default([]),
      routes: z
        .array(z.strictObject({ match: z.record(z.string(), z.string()), pipeline: z.string() }))
        .default([]),
    })
    .default({ inboundTopics: [], trustedTopics: [], routes: [] }),
  pii: z.strictObject({ default: z.enum(['mask', 'hash', 'show']).default('mask') }).default({ default: 'mask' }),
});

export type Catalog = z.infer<typeof catalogSchema>;
export type Pipeline = z.infer<typeof pipelineSchema>;
export type Output = Pipeline['outputs'][number];
export type Dataset = Output['legacy'];
export type Check = z.infer<typeof checkSchema>;
export type GlueDatasetConfig = z.infer<typeof glueDataset>;
export type RedshiftDatasetConfig = z.infer<typeof redshiftDataset>;
export type ParamSpec = z.infer<typeof paramSpecSchema>;
export type CutoverAction = z.infer<typeof actionSchema>;
export type LegacyEngineConfig = z.infer<typeof legacyEngineSchema>;
export type TargetEngineConfig = z.infer<typeof targetEngineSchema>;
export type EngineConfig = LegacyEngineConfig | TargetEngineConfig;
export type EngineName = z.infer<typeof engineNameSchema>;
export type RedshiftEngineConfig = z.infer<typeof redshiftEngine>;
export type StepFunctionsEngineConfig = z.infer<typeof stepFunctionsEngine>;
export type EmrServerlessEngineConfig = z.infer<typeof emrServerlessEngine>;
export type EmrCostConfig = z.infer<typeof emrCostSchema>;
export type AirflowCostConfig = z.infer<typeof airflowCostSchema>;
export type Stage = z.infer<typeof stageSchema>;
export { period as periodSchema };
