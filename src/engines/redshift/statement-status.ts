import type { DescribeStatementResponse, StatusString } from '@aws-sdk/client-redshift-data';
import type { RedshiftEngineConfig } from '../../config/catalog-schema.ts';
import { isTerminal, type EngineRunStatus, type RunState, type TaskFailure } from '../types.ts';

/** Data API statement `Status` → our run state. `ABORTED` is a CancelStatement, ours or anyone's. */
const STATE_MAP: Partial<Record<StatusString, RunState>> = {
  SUBMITTED: 'pending',
  PICKED: 'pending',
  STARTED: 'running',
  FINISHED: 'succeeded',
  FAILED: 'failed',
  ABORTED: 'cancelled',
};

export function mapStatementStatus(status: string | undefined): RunState {
  // An unknown (newer) status keeps the run polled rather than ending it wrongly.
  return STATE_MAP[status as StatusString] ?? 'running';
}

/** The client token and statement name: unique per run (ClientToken is 1–64 characters). */
export function redshiftClientToken(runId: string): string {
  return `cutover-${runId}`.slice(0, 64);
}

/**
 * The cluster's or workgroup's console page (its query monitoring lists the statement); the Data
 * API gives no per-statement page.
 */
export function consoleUrl(region: string, where: Pick<RedshiftEngineConfig, 'clusterIdentifier' | 'workgroupName'>): string {
  const r = encodeURIComponent(region);
  const base = `https://${r}.console.aws.amazon.com/redshiftv2/home?region=${r}`;
  if (where.clusterIdentifier) return `${base}#cluster-details?cluster=${encodeURIComponent(where.clusterIdentifier)}`;
  const workgroup = (where.workgroupName ?? '').split('/').pop() ?? '';
  return `${base}#serverless-workgroup?workgroup=${encodeURIComponent(workgroup)}`;
}

/** What the alert calls the statement: its SQL, shortened (`CALL etl.monthly(:period)`). */
function statementLabel(out: DescribeStatementResponse): string {
  const sql = (out.QueryString ?? 'statement').replace(/\s+/g, ' ').trim();
  return sql.length > 80 ? `${sql.slice(0, 79)}…` : sql;
}

export function toRunStatus(out: DescribeStatementResponse, url: string): EngineRunStatus {
  const state = mapStatementStatus(out.Status);
  const startedAt = out.CreatedAt?.getTime();
  const endedAt = isTerminal(state) ? out.UpdatedAt?.getTime() : undefined;
  const error = out.Error?.split('\n')[0];
  return {
    state,
    message: [out.Status ?? 'UNKNOWN', error].filter(Boolean).join(': '),
    tasks: [{ key: statementLabel(out), state, runId: out.RedshiftQueryId === undefined ? out.Id : String(out.RedshiftQueryId), startedAt, endedAt, url }],
    url,
    startedAt,
    endedAt,
  };
}

/** Lines of the error kept as the trace (Redshift adds DETAIL, CONTEXT and HINT lines). */
const MAX_TRACE_LINES = 30;

/** The statement's `Error`, as Redshift wrote it, becomes the alert thread's content. */
export function toFailures(out: DescribeStatementResponse, url: string): TaskFailure[] {
  if (mapStatementStatus(out.Status) !== 'failed') return [];
  const lines = (out.Error ?? '').trim().split('\n').filter(Boolean);
  const query = out.RedshiftQueryId === undefined ? '' : ` (query ${out.RedshiftQueryId})`;
  return [
    {
      task: statementLabel(out),
      error: `${lines[0] ?? 'the statement failed without an error message'}${query}`,
      trace: lines.length > 1 ? lines.slice(0, MAX_TRACE_LINES).join('\n') : undefined,
      logUrl: url,
    },
  ];
}
