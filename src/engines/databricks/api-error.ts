import { ApiError, parseRetryAfter } from '../../errors.ts';
import { redactSecrets } from '../../logger.ts';

/**
 * Turns a non-2xx Databricks response into an `ApiError`. Databricks answers errors in four
 * shapes (the official SDK parses all of them): `{error_code, message}`, legacy
 * `{error}` (also OAuth's `{error, error_description}`), plain `CODE: message` text, and
 * HTML from a proxy or gateway. Secrets are scrubbed in case a body echoes a credential.
 */
export async function errorFromResponse(res: Response, operation: string, secrets: readonly string[]): Promise<ApiError> {
  const text = await res.text().catch(() => '');
  const { apiCode, message } = parseErrorBody(text, res.headers.get('content-type') ?? '');
  return new ApiError({
    service: 'databricks',
    statusCode: res.status,
    apiCode,
    message: redactSecrets(message || `Databricks ${operation} failed with HTTP ${res.status}`, secrets),
    retryAfterMs: parseRetryAfter(res.headers.get('retry-after')),
  });
}

/** A request that never got a response (DNS, refused connection, reset): worth retrying. */
export function networkError(err: unknown, operation: string): ApiError {
  // undici hides the useful part (ECONNREFUSED…) in `cause`.
  const cause = (err as { cause?: { code?: string; message?: string } } | undefined)?.cause;
  const detail = cause?.code ?? cause?.message ?? (err instanceof Error ? err.message : String(err));
  return new ApiError({
    service: 'databricks',
    message: `Databricks ${operation} failed: network error (${detail})`,
    retryable: true,
    cause: err,
  });
}

export function parseErrorBody(text: string, contentType: string): { apiCode?: string; message: string } {
  const trimmed = text.trim();
  if (!trimmed) return { message: '' };
  if (trimmed.startsWith('{')) {
    try {
      const body = JSON.parse(trimmed) as Record<string, unknown>;
      const str = (k: string) => (typeof body[k] === 'string' ? (body[k] as string) : undefined);
      if (str('error_code') || str('message')) return { apiCode: str('error_code'), message: str('message') ?? str('error') ?? '' };
      if (str('error_description')) return { apiCode: str('error'), message: str('error_description') ?? '' };
      if (str('error')) return { message: str('error') ?? '' };
    } catch {
      // Not JSON after all: fall through to the text shapes.
    }
  }
  if (contentType.includes('html') || trimmed.startsWith('<')) return { message: stripHtml(trimmed) };
  const coded = /^([A-Z][A-Z0-9_]+): (.+)$/s.exec(trimmed);
  if (coded) return { apiCode: coded[1], message: (coded[2] ?? '').trim() };
  return { message: truncate(trimmed) };
}

function stripHtml(html: string): string {
  const text = html
    .replace(/<(script|style)[\s\S]*?<\/\1>/gi, ' ')
    .replace(/<[^>]*>/g, ' ')
    .replace(/&nbsp;/g, ' ')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&amp;/g, '&');
  return truncate(text.replace(/\s+/g, ' ').trim());
}

/** Error pages can be huge; people only need the gist in Slack. */
function truncate(text: string, max = 500): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}
