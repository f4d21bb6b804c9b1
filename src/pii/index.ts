/**
 * PII-safe samples (issue 7): a policy from the catalog (or CLI flags) and pure functions that
 * apply it to diff reports, DQ results, mismatched-rows CSV and single values.
 * See docs/architecture.md, "PII".
 */
export {
  assertPiiConfig,
  PII_HASH_LENGTH,
  PII_KEY_MIN_LENGTH,
  PII_MASK,
  PiiPolicy,
  piiPolicy,
  piiPolicyFor,
  piiPolicyForPipeline,
  type PiiCatalog,
  type PiiMode,
  type PiiOptions,
} from './policy.ts';
export {
  protectCheckResult,
  protectChecksResult,
  protectDiffReport,
  protectErrorText,
  protectField,
  protectKey,
  protectMismatchCsv,
  protectRow,
  protectValue,
  type ProtectableCheck,
} from './protect.ts';
export { createCatalogSampleProtector, type CatalogSampleProtector } from './sample-protector.ts';
export { PII_LOG_CENSOR, PII_LOG_FIELDS, redactPiiFields } from './log-redaction.ts';
