import type { KnownBlock } from '@slack/types';
import { escapeMrkdwn } from './format.ts';
import { LIMITS, section, truncateText } from './limits.ts';

/** One `/pipeline` subcommand: its grammar (DESIGN.md) and one line saying what it does. */
export interface CommandHelp {
  name: string;
  usage: string;
  description: string;
}

/** The `/pipeline` grammar, verbatim from DESIGN.md; the help text and usage errors both quote it. */
export const COMMANDS: readonly CommandHelp[] = [
  { name: 'help', usage: '/pipeline help', description: 'this list' },
  { name: 'list', usage: '/pipeline list', description: 'pipelines, migration stage, last run' },
  { name: 'run', usage: '/pipeline run <pipeline> [--on databricks|emr|airflow|redshift|stepfunctions|emr-serverless] [--period YYYY-MM] [--param k=v]... [--env dev|prod]', description: 'start one run; its status message updates in place' },
  { name: 'parallel', usage: '/pipeline parallel <pipeline> [--period YYYY-MM]', description: 'both engines, then diff + DQ' },
  { name: 'status', usage: '/pipeline status [<pipeline>|<run-id>]', description: 'runs in flight, or one run, parallel run or backfill' },
  { name: 'cancel', usage: '/pipeline cancel <run-id>', description: 'cancel a run on its engine' },
  { name: 'diff', usage: '/pipeline diff <pipeline> [--period YYYY-MM]', description: 'diff existing outputs, no new runs' },
  { name: 'dq', usage: '/pipeline dq <pipeline> [--period YYYY-MM]', description: 'run DQ checks now' },
  { name: 'backfill', usage: '/pipeline backfill <pipeline> --from YYYY-MM --to YYYY-MM [--on …] [--concurrency N] [--continue-on-failure] [--env dev|prod]', description: 'one run per period, a few at a time' },
  { name: 'history', usage: '/pipeline history <pipeline>', description: 'last runs, legacy vs new durations' },
  { name: 'cutover', usage: '/pipeline cutover <pipeline> [request <step> | rollback <step>]', description: 'the go-live plan; ask approvers for a step or its rollback' },
  { name: 'audit', usage: '/pipeline audit <pipeline>', description: 'the audit trail, as a file' },
  { name: 'report', usage: '/pipeline report <pipeline>', description: 'the go-live evidence document, sent to the asker' },
];

/** The grammar lines alone, one per subcommand. */
export const HELP_LINES: readonly string[] = COMMANDS.map((c) => c.usage);

export const SUBCOMMANDS = COMMANDS.map((c) => c.name);

const NAME_WIDTH = Math.max(...COMMANDS.map((c) => c.name.length)) + 2;

/**
 * The help as aligned columns that fit a phone-width code block: the subcommand, what it does,
 * and its grammar on the next line under the description.
 */
export function helpText(): string {
  const indent = ' '.repeat(NAME_WIDTH);
  return COMMANDS.map((c) => `${c.name.padEnd(NAME_WIDTH)}${c.description}\n${indent}${c.usage}`).join('\n');
}

/** Body of an ephemeral reply, as `ack()`/`respond()` take it. */
export interface EphemeralResponse {
  response_type: 'ephemeral';
  text: string;
  blocks: KnownBlock[];
}

/**
 * The usage line of one subcommand (its grammar), or the whole grammar when the subcommand is
 * unknown, so a reply always shows something useful.
 */
export function usageFor(subcommand: string): string {
  return COMMANDS.find((c) => c.name === subcommand.trim().toLowerCase())?.usage ?? HELP_LINES.join('\n');
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
