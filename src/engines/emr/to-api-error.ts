import { ApiError, isRetryableStatus, type ApiService } from '../../errors.ts';

/** The parts of an AWS SDK v3 service exception we rely on (see `ServiceException` in @smithy/smithy-client). */
interface AwsErrorShape {
  name?: string;
  message?: string;
  $fault?: 'client' | 'server';
  $retryable?: { throttling?: boolean };
  $metadata?: { httpStatusCode?: number };
}

/**
 * Error names AWS services use for throttling. They come back as 400s, so the status
 * alone would call them permanent; the SDK's own retry strategy keeps a similar list.
 */
const THROTTLING = new Set([
  'ThrottlingException',
  'Throttling',
  'TooManyRequestsException',
  'RequestLimitExceeded',
  'RequestThrottled',
  'RequestThrottledException',
  'ProvisionedThroughputExceededException',
  'SlowDown',
  'PriorRequestNotComplete',
]);

/**
 * Error names that say the service is at capacity for now (Redshift Data API: too many sessions
 * or running statements on the cluster). They are 400 client faults, but the same request later
 * may well succeed once other sessions lapse, so they are retried like throttling.
 */
const AT_CAPACITY = new Set(['ActiveSessionsExceededException', 'ActiveStatementsExceededException']);

/**
 * Turns whatever `client.send` threw into an ApiError for `service`, so the job layer can
 * decide on a retry by `retryable` alone (STYLE 6). An abort is passed through untouched:
 * the caller gave up on purpose, and BullMQ must not treat it as an EMR failure.
 */
export function toAwsApiError(err: unknown, service: ApiService, operation: string, signal?: AbortSignal): unknown {
  if (signal?.aborted || (err instanceof Error && err.name === 'AbortError')) return err;
  if (err instanceof ApiError) return err;
  const e = (typeof err === 'object' && err !== null ? err : {}) as AwsErrorShape;
  const statusCode = e.$metadata?.httpStatusCode;
  const name = e.name ?? 'Error';
  const retryable =
    Boolean(e.$retryable) ||
    THROTTLING.has(name) ||
    AT_CAPACITY.has(name) ||
    e.$fault === 'server' ||
    // No HTTP status at all means the request never got an answer (network, DNS, timeout).
    isRetryableStatus(statusCode);
  return new ApiError({
    service,
    message: `${service} ${operation} failed: ${name}: ${e.message ?? String(err)}`,
    statusCode,
    apiCode: name,
    retryable,
    cause: err,
  });
}

/** Runs one AWS SDK call and turns what it throws into an ApiError of `service` (see toAwsApiError). */
export async function callAws<T>(service: ApiService, operation: string, call: () => Promise<T>, signal?: AbortSignal): Promise<T> {
  try {
    return await call();
  } catch (err) {
    throw toAwsApiError(err, service, operation, signal);
  }
}
