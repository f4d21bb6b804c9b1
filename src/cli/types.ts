import type { S3Access } from '../datasets/index.ts';

/** Where a command writes and what it may read; tests pass their own. */
export interface CliIo {
  stdout: { write(text: string): unknown };
  stderr: { write(text: string): unknown };
  /** Environment for `loadConfig`; undefined means the process environment. */
  env?: Record<string, string | undefined>;
  /** S3 access for `s3://` datasets; default: built from the AWS settings of the environment. */
  s3?: S3Access;
}

/** A subcommand: takes its arguments (after the name) and returns the exit code. */
export type CliCommand = (args: string[], io: CliIo) => Promise<number>;
