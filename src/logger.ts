import { PII_LOG_CENSOR, PII_LOG_FIELDS } from './pii/log-redaction.ts';
import { pino, type Logger, type DestinationStream } from 'pino';

export type { Logger };

/** Patterns of secrets that must never reach a log line, whatever field they hide in. */
const SECRET_PATTERNS: RegExp[] = [
  /xox[abposr]-[A-Za-z0-9-]+/g, // Slack bot/user/app tokens
  /xapp-[A-Za-z0-9-]+/g,
  /dapi[a-f0-9]{20,}(-\d+)?/g, // Databricks PATs
  /(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]+/gi,
  /(AKIA|ASIA)[A-Z0-9]{16}/g, // AWS access key ids
  /\b(SECRET|SESSION_TOKEN|KEY_ID)\s+'(?:[^']|'')*'/gi, // credentials in SQL, e.g. DuckDB's CREATE SECRET
];

/** Replaces every known secret pattern, and every extra secret value given, with `[REDACTED]`. */
export function redactSecrets(text: string, extra: readonly string[] = []): string {
  let out = text;
  for (const pattern of SECRET_PATTERNS) out = out.replace(pattern, '[REDACTED]');
  for (const secret of extra) if (secret.length >= 6) out = out.split(secret).join('[REDACTED]');
  return out;
}

export interface LoggerOptions {
  level?: string;
  /** Secret values from the config (signing secret, client secret…) that have no recognisable shape. */
  secrets?: readonly string[];
  destination?: DestinationStream;
}

export function createLogger({ level = 'info', secrets = [], destination }: LoggerOptions = {}): Logger {
  const scrub = (value: unknown): unknown => {
    if (typeof value === 'string') return redactSecrets(value, secrets);
    if (value instanceof Error) return { type: value.name, message: redactSecrets(value.message, secrets), code: (value as { code?: unknown }).code };
    if (Array.isArray(value)) return value.map(scrub);
    // Sample rows may hold personal data (issue 7): never logged, at any depth.
    if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, PII_LOG_FIELDS.has(k) ? PII_LOG_CENSOR : scrub(v)]));
    return value;
  };
  return pino(
    {
      level,
      base: { service: 'cutover' },
      redact: {
        paths: ['token', '*.token', 'authorization', '*.authorization', 'headers.authorization', '*.headers.authorization', 'clientSecret', '*.clientSecret', 'signingSecret', '*.signingSecret'],
        censor: '[REDACTED]',
      },
      hooks: {
        // Scrub every argument (objects and the message) before pino serialises it.
        logMethod(args, method) {
          method.apply(this, args.map(scrub) as Parameters<typeof method>);
        },
      },
    },
    destination,
  );
}
