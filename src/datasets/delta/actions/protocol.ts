import { UnsupportedError } from '../../../errors.ts';

/** The `protocol` action (formats.md 1.3). */
export interface Protocol {
  minReaderVersion: number;
  minWriterVersion: number;
  /** Present iff minReaderVersion is 3. */
  readerFeatures?: string[];
  writerFeatures?: string[];
}

export function parseProtocol(raw: Record<string, unknown>, where: string): Protocol {
  const reader = Number(raw.minReaderVersion);
  const writer = Number(raw.minWriterVersion);
  if (!Number.isInteger(reader) || !Number.isInteger(writer)) throw new UnsupportedError(`${where}: protocol action without minReaderVersion/minWriterVersion`, 'protocol');
  const list = (v: unknown) => (Array.isArray(v) ? v.map(String) : undefined);
  return { minReaderVersion: reader, minWriterVersion: writer, readerFeatures: list(raw.readerFeatures), writerFeatures: list(raw.writerFeatures) };
}
