/** What goes to the alerts topic: email and paging subscribers filter on the attributes. */
export interface SnsAlert {
  subject: string;
  /** JSON text. */
  message: string;
  attributes: { pipeline: string; severity: 'critical' | 'warning' | 'info'; event: string };
}

/** The facts of an alert, as a job carries them (plain JSON, no secrets). */
export interface AlertFacts {
  event: 'run.failed' | 'dq.failed' | 'dq.recovered' | `cutover.${string}`;
  pipeline: string;
  period?: string;
  runId?: string;
  /** One line for people: what happened. */
  summary: string;
  failingChecks?: Array<{ output: string; check: string; failingRows: number }>;
  permalink?: string;
  detail?: Record<string, unknown>;
}

/** SNS refuses subjects of 100 characters or more, and with control characters. */
export const SUBJECT_MAX = 99;

const SEVERITY: Record<string, SnsAlert['attributes']['severity']> = {
  'run.failed': 'critical',
  'dq.failed': 'warning',
  'dq.recovered': 'info',
};

/** Builds the Subject (ASCII, one line, < 100 chars), the JSON body and the attributes. */
export function buildSnsAlert(f: AlertFacts): SnsAlert {
  const severity = SEVERITY[f.event] ?? 'info';
  const body = {
    event: f.event,
    severity,
    pipeline: f.pipeline,
    period: f.period,
    run: f.runId,
    summary: f.summary,
    failingChecks: f.failingChecks,
    slack: f.permalink,
    ...f.detail,
  };
  return { subject: subjectLine(`[Cutover] ${f.pipeline}${f.period ? ` ${f.period}` : ''}: ${f.summary}`), message: JSON.stringify(body), attributes: { pipeline: f.pipeline, severity, event: f.event } };
}

/** Printable ASCII on one line, cut with an ellipsis to fit SNS's limit. */
export function subjectLine(text: string): string {
  const ascii = text.replace(/[\r\n\t]+/g, ' ').replace(/[^\x20-\x7e]/g, '?').trim();
  return ascii.length <= SUBJECT_MAX ? ascii : `${ascii.slice(0, SUBJECT_MAX - 3)}...`;
}
