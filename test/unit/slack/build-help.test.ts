import { describe, expect, it } from 'vitest';
import { HELP_LINES, buildHelp, buildUsageError, helpText, usageFor } from '../../../src/slack/index.ts';
import { allText, limitProblems } from './run-fixture.ts';

describe('help and usage', () => {
  it('quotes the DESIGN.md grammar verbatim, with one line of description per subcommand in aligned columns', () => {
    expect(HELP_LINES).toHaveLength(13);
    expect(HELP_LINES).toContain('/pipeline list');
    expect(HELP_LINES).toContain(
      '/pipeline backfill <pipeline> --from YYYY-MM --to YYYY-MM [--on …] [--concurrency N] [--continue-on-failure] [--env dev|prod]',
    );
    const help = buildHelp();
    expect(help.response_type).toBe('ephemeral');
    for (const line of HELP_LINES) expect(help.text).toContain(line);
    const lines = helpText().split('\n');
    expect(lines).toHaveLength(2 * HELP_LINES.length);
    expect(lines.slice(0, 4)).toEqual(['help      this list', '          /pipeline help', 'list      pipelines, migration stage, last run', '          /pipeline list']);
    // Every description starts in the same column, every grammar line under it.
    const column = (line: string) => /^\S+\s+/.exec(line)?.[0].length ?? /^\s*/.exec(line)![0].length;
    expect(new Set(lines.map(column))).toEqual(new Set([10]));
    expect(limitProblems(help)).toEqual([]);
  });

  it('gives the usage line of one subcommand, without its description', () => {
    expect(usageFor('run')).toBe(
      '/pipeline run <pipeline> [--on databricks|emr|airflow|redshift|stepfunctions|emr-serverless] [--period YYYY-MM] [--param k=v]... [--env dev|prod]',
    );
    expect(usageFor('list')).toBe('/pipeline list');
    expect(usageFor('diff')).toBe('/pipeline diff <pipeline> [--period YYYY-MM]');
    expect(usageFor('STATUS')).toBe('/pipeline status [<pipeline>|<run-id>]');
  });

  it('falls back to the whole grammar for an unknown subcommand', () => {
    expect(usageFor('frobnicate')).toBe(HELP_LINES.join('\n'));
  });

  it('names the problem, then the usage line, in an ephemeral reply', () => {
    const reply = buildUsageError('--period must be YYYY-MM, got "2024-13"', usageFor('run'));
    expect(reply.response_type).toBe('ephemeral');
    expect(reply.text).toBe(`--period must be YYYY-MM, got "2024-13"\nUsage: ${usageFor('run')}`);
    expect(allText(reply)).toContain(':warning: --period must be YYYY-MM');
    expect(allText(reply)).toContain('Usage:\\n```\\n/pipeline run &lt;pipeline&gt;');
  });

  it('clips a huge problem text to the limits', () => {
    expect(limitProblems(buildUsageError('x'.repeat(10_000), 'y'.repeat(10_000)))).toEqual([]);
  });
});
