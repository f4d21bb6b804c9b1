import { UsageError } from '../errors.ts';

/** Placeholders a catalog string may use: `{{period}}`, `{{param.NAME}}`, and `{{output}}` in SQL checks. */
const PLACEHOLDER = /\{\{\s*([^}]*?)\s*\}\}/g;
const KNOWN = /^(period|output|param\.[A-Za-z_][\w-]*)$/;

export interface TemplateValues {
  period: string;
  params: Record<string, string>;
  output?: string;
}

/** Names of placeholders in `text` that are not one of the known forms (used by catalog validation). */
export function unknownPlaceholders(text: string): string[] {
  return [...text.matchAll(PLACEHOLDER)].map((m) => m[1] ?? '').filter((name) => !KNOWN.test(name));
}

/** Renders one catalog string. A `{{param.X}}` without a value is a usage error naming `--param X=…`. */
export function renderTemplate(text: string, values: TemplateValues): string {
  return text.replace(PLACEHOLDER, (_match, raw: string) => {
    if (raw === 'period') return values.period;
    if (raw === 'output' && values.output !== undefined) return values.output;
    if (raw.startsWith('param.')) {
      const name = raw.slice('param.'.length);
      const value = values.params[name];
      if (value === undefined) throw new UsageError(`this pipeline needs --param ${name}=…`);
      return value;
    }
    throw new UsageError(`unknown placeholder {{${raw}}}`);
  });
}

export function renderMap(map: Record<string, string>, values: TemplateValues): Record<string, string> {
  return Object.fromEntries(Object.entries(map).map(([k, v]) => [k, renderTemplate(v, values)]));
}
