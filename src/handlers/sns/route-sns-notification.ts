/** What a notification is about, once routed; `kind` says which alert flow handles it. */
export interface SnsRoute {
  pipeline: string;
  kind: 'dq-result' | 'cloudwatch-alarm';
  /** The notification's `Message`, parsed. */
  message: Record<string, unknown>;
}

export type RouteResult = { ok: true; route: SnsRoute } | { ok: false; reason: 'message_not_json' | 'unknown_pipeline' | 'no_matching_route' | 'unrecognised_message' };

/** One `alerts.routes` rule: every `match` key is a dot path into the alarm, equal to the value. */
export interface AlarmRouteRule {
  match: Record<string, string>;
  pipeline: string;
}

/**
 * Decides which pipeline a verified notification belongs to: (a) a JSON message naming a
 * catalog pipeline (a DQ result from a Databricks notebook), or (b) a CloudWatch alarm
 * matched by the first `alerts.routes` rule whose every key matches. A message naming an
 * unknown pipeline is not tried against the rules: its publisher meant that pipeline.
 */
export function routeSnsNotification(messageText: string, pipelines: ReadonlySet<string>, rules: readonly AlarmRouteRule[]): RouteResult {
  let message: unknown;
  try {
    message = JSON.parse(messageText);
  } catch {
    return { ok: false, reason: 'message_not_json' };
  }
  if (typeof message !== 'object' || message === null || Array.isArray(message)) return { ok: false, reason: 'message_not_json' };
  const fields = message as Record<string, unknown>;

  if (Object.hasOwn(fields, 'pipeline')) {
    const name = fields.pipeline;
    if (typeof name !== 'string' || !pipelines.has(name)) return { ok: false, reason: 'unknown_pipeline' };
    return { ok: true, route: { pipeline: name, kind: 'dq-result', message: fields } };
  }
  if (typeof fields.AlarmName === 'string' && typeof fields.NewStateValue === 'string') {
    // An empty `match` matches every alarm: a deliberate catch-all in the catalog.
    const rule = rules.find((r) => Object.entries(r.match).every(([path, want]) => valueAt(fields, path) === want));
    if (!rule || !pipelines.has(rule.pipeline)) return { ok: false, reason: 'no_matching_route' };
    return { ok: true, route: { pipeline: rule.pipeline, kind: 'cloudwatch-alarm', message: fields } };
  }
  return { ok: false, reason: 'unrecognised_message' };
}

/**
 * The scalar at a dot path (`Trigger.Dimensions.0.value`), as a string so catalog values
 * (always strings) compare with numbers and booleans; undefined for objects or missing keys.
 * Only own properties are followed, so `__proto__`/`constructor` paths find nothing.
 */
export function valueAt(root: unknown, path: string): string | undefined {
  let node = root;
  for (const key of path.split('.')) {
    if (typeof node !== 'object' || node === null || !Object.hasOwn(node, key)) return undefined;
    node = (node as Record<string, unknown>)[key];
  }
  return typeof node === 'string' || typeof node === 'number' || typeof node === 'boolean' ? String(node) : undefined;
}
