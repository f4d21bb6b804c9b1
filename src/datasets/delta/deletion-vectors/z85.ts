import { UnsupportedError } from '../../../errors.ts';

/** ZeroMQ's Z85 alphabet, the encoding Delta uses for DV file UUIDs and inline bitmaps. */
const ALPHABET = '0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.-:+=^!/*?&<>()[]{}@%$#';
const VALUES = new Map([...ALPHABET].map((ch, i) => [ch, i]));

/** Every 5 characters are one big-endian base-85 u32 (4 bytes). */
export function z85Decode(text: string): Buffer {
  if (text.length % 5 !== 0) throw new UnsupportedError(`Z85 text of length ${text.length} is not a multiple of 5`, 'deletionVectors');
  const out = Buffer.alloc((text.length / 5) * 4);
  for (let i = 0; i < text.length; i += 5) {
    let value = 0;
    for (let j = 0; j < 5; j++) {
      const digit = VALUES.get(text[i + j] as string);
      if (digit === undefined) throw new UnsupportedError(`"${text[i + j]}" is not a Z85 character`, 'deletionVectors');
      value = value * 85 + digit;
    }
    if (value > 0xffffffff) throw new UnsupportedError(`Z85 group "${text.slice(i, i + 5)}" overflows 32 bits`, 'deletionVectors');
    out.writeUInt32BE(value, (i / 5) * 4);
  }
  return out;
}

/** The UUID a 20-character Z85 string encodes (16 bytes, most significant first). */
export function z85Uuid(text: string): string {
  const hex = z85Decode(text).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
