import { ConfigError, UsageError } from '../errors.ts';
import type { PiiPolicy } from '../pii/index.ts';

/**
 * Builds a PII policy for a CLI command; a ConfigError (hash mode without a usable
 * CUTOVER_PII_KEY) becomes a one-line UsageError, so the command exits 2 with the reason.
 */
export function piiPolicyOrUsageError(build: () => PiiPolicy): PiiPolicy {
  try {
    return build();
  } catch (err) {
    if (err instanceof ConfigError) throw new UsageError(err.problems.join('; '));
    throw err;
  }
}
