import { createHmac } from 'node:crypto';
import type { Catalog, Output } from '../config/catalog-schema.ts';
import { ConfigError } from '../errors.ts';

/**
 * PII in sample values (issue 7). A `PiiPolicy` says which columns hold personal data and
 * what a sample shows for them; the `protect*` functions (./protect.ts) apply it. Counts are
 * never touched, only sample values.
 *
 * - `mask`: every non-NULL value becomes `•••`.
 * - `hash`: HMAC-SHA256 of the value's text with `CUTOVER_PII_KEY`, first 12 hex chars: equal
 *   values give equal hashes (on both sides, in every column), so a diff stays readable.
 * - `show`: raw values. Only ever the effective mode when the caller passes `showPii: true`
 *   (the CLI's `--show-pii`); the catalog's `pii.default: show` alone falls back to `mask`,
 *   so the bot never shows raw PII.
 * NULL stays NULL in every mode: it is not personal data, and NULL-vs-value is often the very
 * difference a person is looking for.
 */
export type PiiMode = 'mask' | 'hash' | 'show';

/** What a masked value looks like. */
export const PII_MASK = '•••';
/** Hex characters of the HMAC kept. */
export const PII_HASH_LENGTH = 12;
/** Shortest `CUTOVER_PII_KEY` accepted: a short key could be brute-forced from the hashes. */
export const PII_KEY_MIN_LENGTH = 16;

export interface PiiOptions {
  /** The HMAC secret (`config.piiKey`, from `CUTOVER_PII_KEY`); required when the mode is `hash`. */
  key?: string;
  /** Raw values (CLI `--show-pii` only; the bot never sets it). */
  showPii?: boolean;
}

/** The catalog parts a policy is built from (a parsed `Catalog` fits). */
export type PiiCatalog = Pick<Catalog, 'pipelines'> & { pii?: { default: PiiMode } };

export class PiiPolicy {
  /** The effective mode: `show` only when `showPii` was asked for. */
  readonly mode: PiiMode;
  /** The PII column names as declared, de-duplicated case-insensitively. */
  readonly columns: readonly string[];
  readonly #names: ReadonlySet<string>;
  // A private field: neither JSON.stringify nor a logger's object walk ever sees the key.
  readonly #key: string | undefined;

  constructor(columns: readonly string[], mode: PiiMode, { key, showPii = false }: PiiOptions = {}) {
    const effective: PiiMode = showPii ? 'show' : mode === 'show' ? 'mask' : mode;
    if (effective === 'hash') requireKey(key, 'hashed PII samples');
    const names = new Map<string, string>();
    for (const c of columns) if (!names.has(c.toLowerCase())) names.set(c.toLowerCase(), c);
    this.mode = effective;
    this.columns = [...names.values()];
    this.#names = new Set(names.keys());
    this.#key = effective === 'hash' ? key : undefined;
  }

  /** Column names match case-insensitively. */
  isPii(column: string): boolean {
    return this.#names.has(column.toLowerCase());
  }

  /** True when applying the policy changes nothing (no PII column, or raw values asked for). */
  get isNoop(): boolean {
    return this.mode === 'show' || this.#names.size === 0;
  }

  /** The 12-hex-char keyed hash of a value's text (mode `hash` only). */
  hash(text: string): string {
    if (this.#key === undefined) throw new Error(`PiiPolicy.hash needs mode hash, not ${this.mode}`);
    return createHmac('sha256', this.#key).update(text, 'utf8').digest('hex').slice(0, PII_HASH_LENGTH);
  }

  /** Short description for people, e.g. `email, name masked`; '' when nothing is protected. */
  describe(): string {
    if (this.isNoop) return '';
    return `${this.columns.join(', ')} ${this.mode === 'hash' ? 'hashed' : 'masked'}`;
  }

  toJSON(): { mode: PiiMode; columns: readonly string[] } {
    return { mode: this.mode, columns: this.columns };
  }
}

/** A policy from explicit columns and mode (the CLI's `cutover diff --pii … --pii-mode …`). */
export function piiPolicy(columns: readonly string[], mode: PiiMode = 'mask', options: PiiOptions = {}): PiiPolicy {
  return new PiiPolicy(columns, mode, options);
}

/**
 * The policy of one catalog output: its `pii` columns (key columns included when listed) and
 * the catalog's `pii.default`. `output` is the output itself or its name; a name is looked up
 * in `pipeline` when given, else in every pipeline, and a name used by several pipelines gets
 * the union of their `pii` lists (more masking, never less).
 * Throws ConfigError for `hash` without a usable key, Error for an unknown output name.
 */
export function piiPolicyFor(catalog: PiiCatalog, output: Output | string, options: PiiOptions & { pipeline?: string } = {}): PiiPolicy {
  const mode = catalog.pii?.default ?? 'mask';
  if (typeof output !== 'string') return new PiiPolicy(output.pii, mode, options);
  const pipelines = options.pipeline === undefined ? Object.values(catalog.pipelines) : [catalog.pipelines[options.pipeline]].filter((p) => p !== undefined);
  const found = pipelines.flatMap((p) => p.outputs.filter((o) => o.name === output));
  if (found.length === 0) throw new Error(`no output "${output}"${options.pipeline ? ` in pipeline ${options.pipeline}` : ''} in the catalog`);
  return new PiiPolicy(found.flatMap((o) => o.pii), mode, options);
}

/**
 * One policy for everything a pipeline's DQ checks return: the union of the `pii` lists of
 * all its outputs. A `sql` or `relationships` check can return columns of other outputs, so a
 * column that is PII in one output is treated as PII in every sample of the pipeline.
 */
export function piiPolicyForPipeline(catalog: PiiCatalog, pipelineName: string, options: PiiOptions = {}): PiiPolicy {
  const pipeline = catalog.pipelines[pipelineName];
  if (!pipeline) throw new Error(`no pipeline "${pipelineName}" in the catalog`);
  return new PiiPolicy(pipeline.outputs.flatMap((o) => o.pii), catalog.pii?.default ?? 'mask', options);
}

/**
 * Start-up check for the bot: `pii.default: hash` needs `CUTOVER_PII_KEY` (at least 16
 * characters). Throws ConfigError, like an invalid catalog or environment, so the app does not
 * start and then fail on the first diff.
 */
export function assertPiiConfig(catalog: PiiCatalog, piiKey: string | undefined): void {
  if ((catalog.pii?.default ?? 'mask') === 'hash') requireKey(piiKey, 'pii.default: hash in the catalog');
}

function requireKey(key: string | undefined, what: string): asserts key is string {
  if (key === undefined || key === '') {
    throw new ConfigError('environment', [`CUTOVER_PII_KEY: required for ${what} (set a secret of at least ${PII_KEY_MIN_LENGTH} characters, or use pii mode mask)`]);
  }
  if (key.length < PII_KEY_MIN_LENGTH) {
    throw new ConfigError('environment', [`CUTOVER_PII_KEY: must be at least ${PII_KEY_MIN_LENGTH} characters (a short key lets the hashes be brute-forced)`]);
  }
}
