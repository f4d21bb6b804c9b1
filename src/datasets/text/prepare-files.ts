import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { Duplex, type Readable, type Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { StringDecoder } from 'node:string_decoder';
import * as zlib from 'node:zlib';
import unbzip2 from 'unbzip2-stream';
import { UnsupportedError } from '../../errors.ts';
import type { DataFile } from '../locate-files.ts';
import type { TextOptions } from './csv-options.ts';
import { UnescapeText } from './unescape-text.ts';

type Compression = 'gzip' | 'zstd' | 'bzip2' | 'none';

/** UNLOAD's GZIP / ZSTD / BZIP2 suffixes (and `EXTENSION 'txt.gz'`): the compression is the last extension. */
export function compressionOf(path: string): Compression {
  if (/\.(gz|gzip)$/i.test(path)) return 'gzip';
  if (/\.zst$/i.test(path)) return 'zstd';
  if (/\.bz2$/i.test(path)) return 'bzip2';
  return 'none';
}

/**
 * Makes each file something DuckDB's CSV reader reads exactly: gzip and zstd it decompresses
 * itself (by extension); bzip2 it cannot, so those files are decompressed into the scratch
 * folder; text that needs Redshift's ESCAPE undone is rewritten there as RFC 4180 CSV
 * (UnescapeText). Returns the files with `path` pointing at what DuckDB should read.
 */
export async function prepareTextFiles(files: DataFile[], dir: string, options: { unescape?: Pick<TextOptions, 'delimiter' | 'quote' | 'escape' | 'null'> }): Promise<DataFile[]> {
  const needed = files.some((f) => options.unescape || compressionOf(f.path) === 'bzip2');
  if (!needed) return files;
  await mkdir(dir, { recursive: true });
  const out: DataFile[] = [];
  for (const [i, file] of files.entries()) {
    const compression = compressionOf(file.path);
    if (!options.unescape && compression !== 'bzip2') {
      out.push(file);
      continue;
    }
    const target = join(dir, `${i}${options.unescape ? '.csv' : ''}`);
    const steps: (Transform | Duplex)[] = [];
    if (compression !== 'none') steps.push(decompressor(compression, file.source));
    if (options.unescape) steps.push(unescapeStream(new UnescapeText(options.unescape, file.source)));
    try {
      await pipeline([createReadStream(file.path), ...steps, createWriteStream(target)] as unknown as [Readable, ...Transform[]]);
    } catch (err) {
      if (err instanceof UnsupportedError) throw err;
      throw new UnsupportedError(`${file.source}: cannot be read as ${compression === 'none' ? 'text' : compression}: ${(err as Error).message}`, compression);
    }
    out.push({ ...file, path: target });
  }
  return out;
}

function decompressor(compression: Exclude<Compression, 'none'>, source: string): Transform | Duplex {
  switch (compression) {
    case 'gzip':
      return zlib.createGunzip();
    case 'bzip2':
      // A classic "through" stream, which stream.pipeline drives as it is.
      return unbzip2() as unknown as Duplex;
    case 'zstd': {
      const create = (zlib as { createZstdDecompress?: () => Transform }).createZstdDecompress;
      if (!create) throw new UnsupportedError(`${source}: zstd text with ESCAPE needs Node.js 22.15 or later`, 'zstd');
      return create();
    }
  }
}

function unescapeStream(text: UnescapeText): Duplex {
  const decoder = new StringDecoder('utf8');
  return Duplex.from(async function* (source: AsyncIterable<Buffer>) {
    for await (const chunk of source) {
      const out = text.push(decoder.write(chunk));
      if (out) yield out;
    }
    const last = text.push(decoder.end()) + text.end();
    if (last) yield last;
  });
}
