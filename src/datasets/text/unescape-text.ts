import { UnsupportedError } from '../../errors.ts';
import type { TextOptions } from './csv-options.ts';

/**
 * Turns Redshift UNLOAD text written with ESCAPE into RFC 4180 CSV that DuckDB reads without
 * guessing: every value quoted (inner `"` doubled), NULL an empty unquoted field, one record a
 * line. Redshift puts `\` before LF, CR, the delimiter, `\` itself and, with ADDQUOTES, the
 * quote; an escaped character is data wherever it is. NULL is a field whose text, as written,
 * is the NULL AS string (`\N` is NULL, `\\N` the text `\N`); Redshift cannot tell '' from NULL
 * in its default text, so a quoted field equal to it is NULL too.
 *
 * Streaming: feed decoded text with `push`, then `end`; each returns the CSV produced so far.
 */
export class UnescapeText {
  private field = '';
  private raw = '';
  private quoted = false;
  private inQuotes = false;
  private escaped = false;
  private pendingQuote = false;
  private pendingCr = false;
  private started = false;
  private record: (string | null)[] = [];
  private readonly special: RegExp;

  constructor(
    private readonly o: Pick<TextOptions, 'delimiter' | 'quote' | 'escape' | 'null'>,
    private readonly source: string,
  ) {
    const chars = [o.escape, o.delimiter, o.quote, '\r', '\n'].filter(Boolean).map((c) => c.replace(/[\\^\]-]/g, '\\$&'));
    this.special = new RegExp(`[${chars.join('')}]`, 'g');
  }

  push(text: string): string {
    let out = '';
    let i = 0;
    while (i < text.length) {
      if (this.escaped || this.pendingQuote || this.pendingCr) {
        out += this.step(text[i] as string);
        i++;
        continue;
      }
      this.special.lastIndex = i;
      const m = this.special.exec(text);
      const end = m ? m.index : text.length;
      if (end > i) {
        const plain = text.slice(i, end);
        this.field += plain;
        this.raw += plain;
        this.started = true;
      }
      if (!m) break;
      out += this.step(m[0]);
      i = end + 1;
    }
    return out;
  }

  end(): string {
    if (this.pendingQuote) this.pendingQuote = this.inQuotes = false;
    if (this.escaped || this.inQuotes) throw new UnsupportedError(`${this.source}: the text ends inside ${this.escaped ? 'an escape' : 'a quoted field'}`, 'unload');
    let out = '';
    if (this.pendingCr || this.started || this.record.length > 0) out += this.endRecord();
    return out;
  }

  /** One special character (or the character after an escape / a quote / a CR). */
  private step(c: string): string {
    const { delimiter, quote, escape } = this.o;
    if (this.escaped) {
      this.escaped = false;
      this.field += c;
      this.raw += c;
      return '';
    }
    if (this.pendingCr) {
      this.pendingCr = false;
      if (c === '\n') return this.endRecord();
      this.field += '\r';
      this.raw += '\r';
    }
    if (this.pendingQuote) {
      this.pendingQuote = false;
      if (c === quote) {
        this.field += c;
        this.raw += c;
        return '';
      }
      this.inQuotes = false;
    }
    if (this.inQuotes) {
      if (c === escape) this.escaped = true;
      else if (c === quote) this.pendingQuote = true;
      else this.field += c;
      this.raw += c;
      return '';
    }
    if (c === escape) {
      this.escaped = true;
      this.raw += c;
      this.started = true;
      return '';
    }
    if (quote !== '' && c === quote && !this.started) {
      this.inQuotes = this.quoted = this.started = true;
      this.raw += c;
      return '';
    }
    if (c === delimiter) {
      this.endField();
      return '';
    }
    if (c === '\n') return this.endRecord();
    if (c === '\r') {
      this.pendingCr = true;
      return '';
    }
    this.field += c;
    this.raw += c;
    this.started = true;
    return '';
  }

  private endField(): void {
    const isNull = this.quoted ? this.field === this.o.null : this.raw === this.o.null;
    this.record.push(isNull ? null : this.field);
    this.field = this.raw = '';
    this.quoted = this.started = false;
  }

  private endRecord(): string {
    this.endField();
    const line = this.record.map((v) => (v === null ? '' : `"${v.replaceAll('"', '""')}"`)).join(',');
    this.record = [];
    return `${line}\n`;
  }
}
