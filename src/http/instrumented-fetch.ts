import type { ApiService } from '../errors.ts';
import type { Metrics } from '../metrics.ts';

export type Fetch = typeof fetch;

/**
 * The routes each service is called on, as templates of the URL path's last segments.
 * `{name}` stands for any one segment (an id: a statement UUID, a run id, a DAG id) and is kept
 * as `{name}` in the label; `{name:regex}` keeps the segment itself when it matches `regex`
 * (a Slack method name, an API version: values from our own code, never from data). Every
 * other path is labelled `other`, so a metric has a bounded number of series whatever the ids.
 */
export const ROUTES: Readonly<Record<ApiService, readonly string[]>> = {
  databricks: [
    '/api/{version:2\\.[01]}/jobs/{operation:[a-z-]+}',
    '/api/{version:2\\.[01]}/jobs/runs/{operation:[a-z-]+}',
    '/api/{version:2\\.[01]}/unity-catalog/tables/{full_name}',
    '/api/{version:2\\.[01]}/unity-catalog/{operation:[a-z-]+}',
    '/oidc/v1/token',
  ],
  'databricks-sql': [
    '/api/2.0/sql/statements',
    '/api/2.0/sql/statements/{statement_id}',
    '/api/2.0/sql/statements/{statement_id}/cancel',
    '/api/2.0/sql/statements/{statement_id}/result/chunks/{chunk_index}',
    '/oidc/v1/token',
  ],
  airflow: [
    '/api/{version:v[12]}/dags/{dag_id}',
    '/api/{version:v[12]}/dags/{dag_id}/dagRuns',
    '/api/{version:v[12]}/dags/{dag_id}/dagRuns/{dag_run_id}',
    '/api/{version:v[12]}/dags/{dag_id}/dagRuns/{dag_run_id}/setNote',
    '/api/{version:v[12]}/dags/{dag_id}/dagRuns/{dag_run_id}/taskInstances',
    '/api/{version:v[12]}/dags/{dag_id}/dagRuns/{dag_run_id}/taskInstances/{task_id}/logs/{try_number}',
  ],
  slack: ['/api/{method:[a-z]+(?:\\.[a-zA-Z]+)+}'],
  // Called through the AWS SDK, which does not take our fetch.
  emr: [],
  s3: [],
  sns: [],
  'cost-explorer': [],
  'redshift-data': [],
  sfn: [],
  'emr-serverless': [],
  scheduler: [],
  eventbridge: [],
  glue: [],
};

/**
 * Wraps `fetch` so every outside call is counted and timed by service, route template and status.
 * Clients take a `fetch` option (STYLE 10); the app passes one of these.
 */
export function instrumentedFetch(service: ApiService, metrics: Metrics | undefined, base: Fetch = fetch, routes: readonly string[] = ROUTES[service]): Fetch {
  if (!metrics) return base;
  const routeOf = routeMatcher(routes);
  return async (input, init) => {
    const started = performance.now();
    const operation = routeOf(input);
    try {
      const res = await base(input, init);
      metrics.observeApiCall(service, operation, res.status, (performance.now() - started) / 1000);
      return res;
    } catch (err) {
      metrics.observeApiCall(service, operation, 'error', (performance.now() - started) / 1000);
      throw err;
    }
  };
}

type Segment = { literal: string } | { name: string; keep?: RegExp };

/** The label of a request's URL: the first template its path ends with, or `other`. */
export function routeMatcher(templates: readonly string[]): (input: Parameters<Fetch>[0]) => string {
  const compiled = templates.map((t) => t.split('/').filter(Boolean).map(parseSegment));
  return (input) => {
    const raw = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
    let parts: string[];
    try {
      parts = new URL(raw).pathname.split('/').filter(Boolean).map(decodeURIComponent);
    } catch {
      return 'other';
    }
    for (const template of compiled) {
      // Templates match the path's end: a base URL may put the API under a path of its own.
      const tail = parts.slice(-template.length);
      if (tail.length !== template.length) continue;
      const labels = template.map((s, i) => labelOf(s, tail[i] as string));
      if (labels.every((l) => l !== undefined)) return `/${labels.join('/')}`;
    }
    return 'other';
  };
}

function parseSegment(segment: string): Segment {
  const m = /^\{(\w+)(?::(.+))?\}$/.exec(segment);
  if (!m) return { literal: segment };
  return m[2] === undefined ? { name: m[1]! } : { name: m[1]!, keep: new RegExp(`^(?:${m[2]})$`) };
}

function labelOf(segment: Segment, value: string): string | undefined {
  if ('literal' in segment) return segment.literal === value ? value : undefined;
  if (!segment.keep) return `{${segment.name}}`;
  return segment.keep.test(value) ? value : undefined;
}
