import type { KnownBlock } from '@slack/types';
import { escapeMrkdwn } from './format.ts';
import { LIMITS, section, truncateText } from './limits.ts';

/** The `/pipeline` grammar, verbatim from DESIGN.md; the help text and usage errors both quote it. */
export const HELP_LINES: readonly string[] = [
  '/pipeline help',
  '/pipeline list                                   pipelines, migration stage, last run',
  '/pipeline run <pipeline> [--on databricks|emr|airflow|redshift|stepfunctions|emr-serverless] [--period YYYY-MM] [--param k=v]... [--env dev|prod]',
  '/pipeline parallel <pipeline> [--period YYYY-MM]  both engines, then diff + DQ',
  '/pipeline status [<pipeline>|<run-id>]',
  '/pipeline cancel <run-id>',
  '/pipeline diff <pipeline> [--period YYYY-MM]      diff existing outputs, no new runs',
  '/pipeline dq <pipeline> [--period YYYY-MM]        run DQ checks now',
  '/pipeline backfill <pipeline> --from YYYY-MM --to YYYY-MM [--on …] [--concurrency N] [--continue-on-failure] [--env dev|prod]',
  '/pipeline history <pipeline>                      last runs, legacy vs new durations',
  '/pipeline cutover <pipeline> [request <step> | rollback <step>]',
  '/pipeline audit <pipeline>',
];

export const SUBCOMMANDS = HELP_LINES.map((line) => line.split(/\s+/)[1] ?? '');

/** Body of an ephemeral reply, as `ack()`/`respond()` take it. */
export interface EphemeralResponse {
  response_type: 'ephemeral';
  text: string;
  blocks: KnownBlock[];
}

export function helpText(): string {
  return HELP_LINES.join('\n');
}

/**
 * The usage line of one subcommand (its syntax, without the description column), or the
 * whole grammar when the subcommand is unknown, so a reply always shows something useful.
 */
export function usageFor(subcommand: string): string {
  const line = HELP_LINES.find((l) => l.split(/\s+/)[1] === subcommand.trim().toLowerCase());
  if (!line) return helpText();
  // The description column starts after a run of two or more spaces.
  return line.split(/\s{2,}/)[0] ?? line;
}

/** The reply to `/pipeline help` (and to an empty `/pipeline`). */
export function buildHelp(): EphemeralResponse {
  return {
    response_type: 'ephemeral',
    text: `/pipeline usage:\n${helpText()}`,
    blocks: [section('*`/pipeline` usage*'), section(fenced(helpText()))],
  };
}

/** An ephemeral reply naming what was wrong, then the usage line to follow. */
export function buildUsageError(message: string, usage: string): EphemeralResponse {
  return {
    response_type: 'ephemeral',
    text: truncateText(`${message}\nUsage: ${usage}`, LIMITS.fallbackText),
    blocks: [section(`:warning: ${escapeMrkdwn(message)}`), section(`Usage:\n${fenced(usage)}`)],
  };
}

function fenced(text: string): string {
  const room = LIMITS.sectionText - 'Usage:\n'.length - 8;
  return `\`\`\`\n${truncateText(escapeMrkdwn(text), room)}\n\`\`\``;
}
