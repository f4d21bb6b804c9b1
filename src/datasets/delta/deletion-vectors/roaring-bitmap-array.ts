import { UnsupportedError } from '../../../errors.ts';

/**
 * Reader of Delta's RoaringBitmapArray "portable" layout (formats.md 1.10), the one the
 * protocol specifies and Delta-Spark writes: u32 LE magic, u64 LE bucket count, then per
 * bucket a u32 LE key (the high 32 bits of each row index) and a standard 32-bit Roaring
 * bitmap (RoaringFormatSpec). The npm `roaring` package ships a prebuilt binary only for
 * Node 20's ABI, so this small reader is ours (docs/architecture.md, "Delta reader").
 */
export const PORTABLE_MAGIC = 1681511377;
export const NATIVE_MAGIC = 1681511376;

const NO_RUN_COOKIE = 12346;
const RUN_COOKIE = 12347;
const MAX_ARRAY_CARDINALITY = 4096;
const NO_OFFSET_THRESHOLD = 4;

/** The row indexes a serialized bitmap (magic + bitmap) holds, ascending. */
export function decodeBitmapArray(bytes: Buffer, where: string): Float64Array {
  const reader = new Reader(bytes, where);
  const magic = reader.u32();
  if (magic === NATIVE_MAGIC) throw new UnsupportedError(`${where}: deletion vector in the native RoaringBitmapArray layout; only the portable layout is read`, 'deletionVectors');
  if (magic !== PORTABLE_MAGIC) throw new UnsupportedError(`${where}: deletion vector with unknown magic ${magic}`, 'deletionVectors');
  const buckets = reader.u64();
  const rows: number[] = [];
  let lastKey = -1;
  for (let b = 0; b < buckets; b++) {
    const key = reader.u32();
    if (key > 0x7fffffff || key <= lastKey) throw new UnsupportedError(`${where}: bucket key ${key} out of order or too large`, 'deletionVectors');
    lastKey = key;
    readRoaring32(reader, key * 2 ** 32, rows);
  }
  return Float64Array.from(rows);
}

/** One standard 32-bit Roaring bitmap at the reader's position; appends `high + value` to `out`. */
function readRoaring32(r: Reader, high: number, out: number[]): void {
  const cookie = r.u32();
  let count: number;
  let runFlags: Buffer | undefined;
  if (cookie === NO_RUN_COOKIE) count = r.u32();
  else if ((cookie & 0xffff) === RUN_COOKIE) {
    count = (cookie >>> 16) + 1;
    runFlags = r.bytes(Math.ceil(count / 8));
  } else throw new UnsupportedError(`${r.where}: not a Roaring bitmap (cookie ${cookie})`, 'deletionVectors');
  const headers = Array.from({ length: count }, () => ({ key: r.u16(), cardinality: r.u16() + 1 }));
  if (!runFlags || count >= NO_OFFSET_THRESHOLD) r.skip(4 * count); // offsets: containers are read in order
  headers.forEach((h, i) => {
    const base = high + h.key * 65536;
    const isRun = runFlags !== undefined && ((runFlags[i >> 3] as number) & (1 << (i & 7))) !== 0;
    if (isRun) {
      const runs = r.u16();
      for (let k = 0; k < runs; k++) {
        const start = r.u16();
        const length = r.u16();
        for (let v = start; v <= start + length; v++) out.push(base + v);
      }
    } else if (h.cardinality <= MAX_ARRAY_CARDINALITY) {
      for (let k = 0; k < h.cardinality; k++) out.push(base + r.u16());
    } else {
      const words = r.bytes(8192);
      for (let byte = 0; byte < 8192; byte++) {
        const bits = words[byte] as number;
        if (bits === 0) continue;
        for (let bit = 0; bit < 8; bit++) if (bits & (1 << bit)) out.push(base + byte * 8 + bit);
      }
    }
  });
}

class Reader {
  private pos = 0;
  constructor(
    private readonly buf: Buffer,
    readonly where: string,
  ) {}
  private need(n: number): number {
    if (this.pos + n > this.buf.length) throw new UnsupportedError(`${this.where}: deletion vector is truncated`, 'deletionVectors');
    const at = this.pos;
    this.pos += n;
    return at;
  }
  u16(): number {
    return this.buf.readUInt16LE(this.need(2));
  }
  u32(): number {
    return this.buf.readUInt32LE(this.need(4));
  }
  u64(): number {
    const value = this.buf.readBigUInt64LE(this.need(8));
    if (value > 0x7fffffffn) throw new UnsupportedError(`${this.where}: ${value} buckets`, 'deletionVectors');
    return Number(value);
  }
  bytes(n: number): Buffer {
    const at = this.need(n);
    return this.buf.subarray(at, at + n);
  }
  skip(n: number): void {
    this.need(n);
  }
}
