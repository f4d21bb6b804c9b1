import { UsageError } from '../errors.ts';

/**
 * Splits slash-command text into words. Slack sends `&`, `<` and `>` HTML-escaped and
 * turns straight quotes into curly ones on some clients, so both are undone here.
 */
export function tokenize(text: string): string[] {
  const decoded = text
    .replace(/[\u201C\u201D]/g, '"')
    .replace(/[\u2018\u2019]/g, "'")
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');
  const words: string[] = [];
  // Double quotes group words; single quotes are left alone so `--param note=don't` works.
  const re = /"([^"]*)"|([^\s"]+)/g;
  for (const m of decoded.matchAll(re)) words.push(m[1] ?? m[2] ?? '');
  if (decoded.replace(re, '').includes('"')) throw new UsageError('unbalanced quotes');
  return words;
}

export interface FlagSpec {
  /** Takes a value (`--period 2026-07`) or is a switch (`--continue-on-failure`). */
  kind: 'value' | 'switch' | 'repeat';
}

export interface ParsedWords {
  positionals: string[];
  flags: Record<string, string | string[] | true>;
}

/** Separates positionals from `--flags`, rejecting unknown, repeated or value-less flags by name. */
export function parseWords(words: string[], spec: Record<string, FlagSpec>): ParsedWords {
  const positionals: string[] = [];
  const flags: ParsedWords['flags'] = {};
  for (let i = 0; i < words.length; i++) {
    const word = words[i]!;
    if (!word.startsWith('--')) {
      positionals.push(word);
      continue;
    }
    const [name, inline] = splitFlag(word.slice(2));
    const flag = spec[name];
    if (!flag) throw new UsageError(`unknown flag --${name}`);
    if (flag.kind === 'switch') {
      if (inline !== undefined) throw new UsageError(`--${name} takes no value`);
      flags[name] = true;
      continue;
    }
    const value = inline ?? words[++i];
    if (value === undefined || value.startsWith('--')) throw new UsageError(`--${name} needs a value`);
    if (flag.kind === 'repeat') {
      flags[name] = [...((flags[name] as string[] | undefined) ?? []), value];
    } else {
      if (name in flags) throw new UsageError(`--${name} given twice`);
      flags[name] = value;
    }
  }
  return { positionals, flags };
}

function splitFlag(body: string): [string, string | undefined] {
  const eq = body.indexOf('=');
  return eq === -1 ? [body, undefined] : [body.slice(0, eq), body.slice(eq + 1)];
}
