import type { HistoryEvent } from '@aws-sdk/client-sfn';

/** Where an execution failed: the state, and the error and cause Step Functions recorded. */
export interface FailedState {
  /** The state's name; undefined when the history did not lead to one (e.g. an input error). */
  state?: string;
  error?: string;
  cause?: string;
}

const TERMINAL = new Set(['ExecutionFailed', 'ExecutionTimedOut', 'ExecutionAborted']);

/**
 * Finds the failing state in an execution's history (any order, any subset of pages). The
 * terminal event (`ExecutionFailed`, …) points back through `previousEventId` to the event that
 * failed (`TaskFailed`, `LambdaFunctionFailed`, `MapRunFailed`, or a `Fail` state's
 * `FailStateEntered`) and on to the `…StateEntered` event that names the state. The innermost
 * error and cause win: that is the one people can act on. Returns undefined when the terminal
 * event is not among `events` (the caller reads more pages).
 */
export function findFailedState(events: readonly HistoryEvent[]): FailedState | undefined {
  const byId = new Map(events.map((e) => [e.id, e]));
  const terminal = events.find((e) => TERMINAL.has(e.type ?? ''));
  if (!terminal) return undefined;
  const found: FailedState = { ...errorDetails(terminal) };
  let inner: { error?: string; cause?: string } | undefined;
  let event: HistoryEvent | undefined = byId.get(terminal.previousEventId);
  // Bounded: a malformed history with a cycle must not hang the poll job.
  for (let hops = 0; event && hops < 1000; hops++) {
    const entered = event.stateEnteredEventDetails;
    if (entered?.name) {
      found.state = entered.name;
      break;
    }
    inner ??= errorDetails(event);
    event = byId.get(event.previousEventId);
  }
  if (inner && (inner.error || inner.cause)) return { ...found, ...inner };
  return found;
}

/** The first `…EventDetails` of an event that carries an `error` or a `cause`. */
function errorDetails(event: HistoryEvent): { error?: string; cause?: string } | undefined {
  for (const [key, value] of Object.entries(event)) {
    if (!key.endsWith('EventDetails') || !value || typeof value !== 'object') continue;
    const { error, cause } = value as { error?: unknown; cause?: unknown };
    if (typeof error === 'string' || typeof cause === 'string') {
      return { error: typeof error === 'string' ? error : undefined, cause: typeof cause === 'string' ? cause : undefined };
    }
  }
  return undefined;
}

/**
 * A Lambda task's cause is JSON (`errorType`, `errorMessage`, `stackTrace`); anything else is text.
 * Returns the one line for the alert and the lines of the trace.
 */
export function describeCause(error: string | undefined, cause: string | undefined): { line: string; trace?: string[] } {
  const parsed = parseJson(cause);
  if (parsed && typeof parsed.errorMessage === 'string') {
    const type = typeof parsed.errorType === 'string' ? parsed.errorType : error;
    const stack = Array.isArray(parsed.stackTrace) ? parsed.stackTrace.map(String) : [];
    return { line: [type, parsed.errorMessage].filter(Boolean).join(': '), trace: [`${type ?? 'Error'}: ${parsed.errorMessage}`, ...stack] };
  }
  const lines = cause?.trim() ? cause.trim().split('\n') : [];
  return { line: [error, lines[0]].filter(Boolean).join(': ') || 'execution failed', trace: lines.length > 1 ? lines : undefined };
}

function parseJson(text: string | undefined): Record<string, unknown> | undefined {
  if (!text?.trimStart().startsWith('{')) return undefined;
  try {
    const value: unknown = JSON.parse(text);
    return value && typeof value === 'object' ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}
