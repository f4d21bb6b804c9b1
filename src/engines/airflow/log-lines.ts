/** An Airflow 3 structured log event (`StructuredLogMessage`): `event` plus whatever the logger added. */
interface LogEvent {
  event?: string;
  timestamp?: string;
  level?: string;
  error_detail?: { exc_type?: string; exc_value?: string; frames?: { filename?: string; lineno?: number; name?: string }[] }[];
}

/**
 * A task log as lines, whatever shape the server chose: plain text (v1 with
 * `Accept: text/plain`), v1 JSON `{content: "<text>"}`, or v2 JSON `{content: [events or strings]}`.
 */
export function parseLogBody(body: string, contentType: string | null): string[] {
  if (!contentType?.includes('json')) return splitLines(body);
  const parsed = JSON.parse(body) as { content?: unknown };
  const content = parsed.content;
  if (typeof content === 'string') return splitLines(content);
  if (!Array.isArray(content)) return [];
  return content.flatMap((item: unknown) => (typeof item === 'string' ? splitLines(item) : formatEvent(item as LogEvent)));
}

/** One line of Airflow 3's `application/x-ndjson` log stream: an event, or (rarely) plain text such as a stream note. */
export function parseLogEvent(line: string): string[] {
  if (!line.trim()) return [];
  try {
    const parsed = JSON.parse(line) as unknown;
    if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)) return formatEvent(parsed as LogEvent);
  } catch {
    // Not JSON: Airflow writes its own notes into the stream as text.
  }
  return [line];
}

function formatEvent(e: LogEvent): string[] {
  // The UI's collapsible-group markers carry no information for an alert.
  if (e.event?.startsWith('::group::') || e.event?.startsWith('::endgroup::')) return [];
  const prefix = [e.timestamp && `[${e.timestamp}]`, e.level && e.level.toUpperCase()].filter(Boolean).join(' ');
  const lines = splitLines(e.event ?? '').map((l, i) => (i === 0 && prefix ? `${prefix} - ${l}` : l));
  // Airflow 3 keeps the traceback out of `event`, in `error_detail`; render it like Python would.
  for (const exc of e.error_detail ?? []) {
    lines.push('Traceback (most recent call last):');
    for (const f of exc.frames ?? []) lines.push(`  File "${f.filename ?? '?'}", line ${f.lineno ?? '?'}, in ${f.name ?? '?'}`);
    lines.push(`${exc.exc_type ?? 'Exception'}: ${exc.exc_value ?? ''}`);
  }
  return lines;
}

function splitLines(text: string): string[] {
  const lines = text.split(/\r?\n/);
  if (lines.at(-1) === '') lines.pop();
  return lines;
}

/** The most telling line of a log tail: the last one naming an exception or error type. */
export function errorLine(lines: readonly string[]): string | undefined {
  for (let i = lines.length - 1; i >= 0; i--) {
    const line = lines[i]!.trim();
    if (/[A-Za-z]*(Error|Exception)\b/.test(line)) return line;
  }
  return undefined;
}
