import { describe, expect, it } from 'vitest';
import { decodeDeletionVector, deletionVectorFile, dvUniqueId } from '../../../src/datasets/delta/deletion-vectors/deletion-vector.ts';
import { decodeBitmapArray } from '../../../src/datasets/delta/deletion-vectors/roaring-bitmap-array.ts';
import { z85Decode } from '../../../src/datasets/delta/deletion-vectors/z85.ts';
import { UnsupportedError } from '../../../src/errors.ts';
import { encodeBitmapArray, z85 } from '../../helpers/delta-writer.ts';

// A DV file's bytes as formats.md 1.10 gives them (rows 0 and 9 deleted; offset 1; 36 bytes; zlib CRC).
const VECTOR = Buffer.from('01' + '00000024' + 'D1D33964' + '0100000000000000' + '00000000' + '3A300000' + '01000000' + '00000100' + '10000000' + '0000' + '0900' + '2A671846', 'hex');

describe('Z85 and DV file names', () => {
  it('resolves `u` descriptors to the file names of formats.md, with and without a random prefix', () => {
    expect(deletionVectorFile({ storageType: 'u', pathOrInlineDv: 'ab^-aqEH.-t@S}K{vb[*k^', offset: 1, sizeInBytes: 36, cardinality: 2 })).toBe(
      'ab/deletion_vector_d2c639aa-8816-431a-aaf6-d3fe2512ff61.bin',
    );
    expect(deletionVectorFile({ storageType: 'u', pathOrInlineDv: 'vBn[lx{q8@P<9BNH/isA', offset: 1, sizeInBytes: 36, cardinality: 2 })).toBe(
      'deletion_vector_61d16c75-6994-46b7-a15b-8b538852e50e.bin',
    );
  });

  it('percent-decodes `p` paths once and has no file for inline DVs', () => {
    expect(deletionVectorFile({ storageType: 'p', pathOrInlineDv: 's3://b/t/a%2520b.bin', offset: 1, sizeInBytes: 1, cardinality: 1 })).toBe('s3://b/t/a%20b.bin');
    expect(deletionVectorFile({ storageType: 'i', pathOrInlineDv: '00000', sizeInBytes: 1, cardinality: 1 })).toBeUndefined();
  });

  it('keys a DV by storage type, path and offset', () => {
    expect(dvUniqueId({ storageType: 'u', pathOrInlineDv: 'abc', offset: 7, sizeInBytes: 1, cardinality: 1 })).toBe('uabc@7');
    expect(dvUniqueId({ storageType: 'i', pathOrInlineDv: 'xyz', sizeInBytes: 1, cardinality: 1 })).toBe('ixyz');
    expect(dvUniqueId(undefined)).toBe('');
  });

  it('rejects text that is not Z85', () => {
    expect(() => z85Decode('abc')).toThrow(UnsupportedError);
    expect(() => z85Decode('abc~d')).toThrow(/not a Z85 character/);
  });
});

describe('deletion vector files', () => {
  const dv = { storageType: 'u' as const, pathOrInlineDv: 'vBn[lx{q8@P<9BNH/isA', offset: 1, sizeInBytes: 36, cardinality: 2 };

  it('reads the reference vector: mixed byte orders, CRC checked, rows 0 and 9', () => {
    expect([...decodeDeletionVector(dv, VECTOR, 'dv')]).toEqual([0, 9]);
  });

  it('refuses a damaged DV instead of deleting the wrong rows', () => {
    const flipped = Buffer.from(VECTOR);
    flipped[30] = 0x0a; // row 9 becomes row 10: the CRC no longer matches
    expect(() => decodeDeletionVector(dv, flipped, 'dv')).toThrow(/checksum mismatch/);
    expect(() => decodeDeletionVector({ ...dv, cardinality: 3 }, VECTOR, 'dv')).toThrow(/holds 2 rows, the log says 3/);
    expect(() => decodeDeletionVector({ ...dv, sizeInBytes: 40 }, VECTOR, 'dv')).toThrow(UnsupportedError);
    const v2 = Buffer.from(VECTOR);
    v2[0] = 2;
    expect(() => decodeDeletionVector(dv, v2, 'dv')).toThrow(/version 2/);
  });

  it('refuses the native RoaringBitmapArray layout by name', () => {
    const native = Buffer.alloc(8);
    native.writeUInt32LE(1681511376, 0);
    expect(() => decodeBitmapArray(native, 'dv')).toThrow(/native RoaringBitmapArray/);
  });
});

describe('Roaring containers', () => {
  const cases: Array<[string, number[], boolean]> = [
    ['array containers in several buckets', [0, 3, 65535, 65536, 70000, 2 ** 32 + 5, 3 * 2 ** 32 + 1], false],
    ['a bitset container (more than 4,096 values)', Array.from({ length: 5000 }, (_, i) => i * 3), false],
    ['run containers (with offsets past 4 containers)', [...Array.from({ length: 100 }, (_, i) => 10 + i), 65536 * 2, 65536 * 3 + 7, 65536 * 4, 65536 * 5 + 1], true],
    ['run containers without offsets (fewer than 4)', [1, 2, 3, 200, 65536], true],
  ];
  it.each(cases)('decodes %s', (_name, rows, runs) => {
    expect([...decodeBitmapArray(encodeBitmapArray(rows, runs), 'dv')]).toEqual(rows);
  });

  it('decodes an inline DV (Z85 of the bitmap, zero-padded)', () => {
    const bitmap = encodeBitmapArray([2, 4, 4000], false);
    const text = z85(bitmap);
    expect([...decodeDeletionVector({ storageType: 'i', pathOrInlineDv: text, sizeInBytes: bitmap.length, cardinality: 3 }, undefined, 'dv')]).toEqual([2, 4, 4000]);
  });
});
