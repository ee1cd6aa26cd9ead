import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { f32ToBf16Array } from '../util/float16';
import { readSafetensorsHeader, SafetensorsCheckpoint, writeSafetensors } from './safetensors';

const dir = mkdtempSync(join(tmpdir(), 'distillery-st-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Hand-build a file from a header object and a data blob, to test malformed inputs. */
function rawFile(name: string, header: unknown, data: Uint8Array, lengthOverride?: number): string {
  const text = Buffer.from(JSON.stringify(header));
  const prefix = Buffer.alloc(8);
  prefix.writeBigUInt64LE(BigInt(lengthOverride ?? text.length));
  const file = join(dir, name);
  writeFileSync(file, Buffer.concat([prefix, text, data]));
  return file;
}

describe('safetensors', () => {
  const a = Float32Array.from({ length: 6 }, (_, i) => i * 0.5 - 1);
  const b = Float32Array.from([1.5, -3.25, 1 + 2 ** -9]);

  it('round-trips F32, F16 and BF16 with metadata and reads lazily by offset', () => {
    const file = join(dir, 'one.safetensors');
    writeSafetensors(file, {
      a: { dtype: 'F32', shape: [2, 3], data: a },
      b: { dtype: 'BF16', shape: [3], data: b },
      c: { dtype: 'F16', shape: [3], data: b },
      d: { dtype: 'I64', shape: [2], data: BigInt64Array.from([7n, -1n]) },
    }, { format: 'pt' });
    const bytes = readFileSync(file);
    const headerLength = Number(bytes.readBigUInt64LE(0));
    expect((8 + headerLength) % 8).toBe(0);
    const ckpt = SafetensorsCheckpoint.open(file);
    expect(ckpt.metadata).toEqual({ format: 'pt' });
    expect(ckpt.names().sort()).toEqual(['a', 'b', 'c', 'd']);
    expect(Array.from(ckpt.get('a').readFloat32())).toEqual(Array.from(a));
    expect(ckpt.get('a').shape).toEqual([2, 3]);
    // BF16 keeps 8 mantissa bits: 1 + 2^-9 rounds to 1 (tie to even is not involved: below half an ulp).
    expect(Array.from(ckpt.get('b').readFloat32())).toEqual([1.5, -3.25, 1]);
    expect(Array.from(ckpt.get('c').readFloat32())).toEqual([1.5, -3.25, 1 + 2 ** -9]);
    expect(new BigInt64Array(ckpt.get('d').readBytes().buffer)).toEqual(BigInt64Array.from([7n, -1n]));
    expect(Array.from(new Uint16Array(ckpt.get('b').readBytes().buffer))).toEqual(Array.from(f32ToBf16Array(b)));
    expect(() => ckpt.get('d').readFloat32()).toThrow(/expected a float tensor/);
  });

  it('opens a sharded checkpoint through model.safetensors.index.json', () => {
    const folder = mkdtempSync(join(dir, 'sharded-'));
    writeSafetensors(join(folder, 'model-00001-of-00002.safetensors'), { x: { dtype: 'F32', shape: [2], data: Float32Array.from([1, 2]) } });
    writeSafetensors(join(folder, 'model-00002-of-00002.safetensors'), { y: { dtype: 'BF16', shape: [1], data: Float32Array.from([4]) } });
    writeFileSync(join(folder, 'model.safetensors.index.json'), JSON.stringify({
      metadata: { total_size: 10 },
      weight_map: { x: 'model-00001-of-00002.safetensors', y: 'model-00002-of-00002.safetensors' },
    }));
    const ckpt = SafetensorsCheckpoint.open(folder);
    expect(ckpt.names().sort()).toEqual(['x', 'y']);
    expect(Array.from(ckpt.get('y').readFloat32())).toEqual([4]);
    expect(ckpt.get('x').file).toMatch(/00001/);
    writeFileSync(join(folder, 'model.safetensors.index.json'), JSON.stringify({ weight_map: { z: 'model-00001-of-00002.safetensors' } }));
    expect(() => SafetensorsCheckpoint.open(folder)).toThrow(/puts "z" in model-00001-of-00002.safetensors/);
  });

  it('refuses index entries that leave the checkpoint folder', () => {
    const parent = mkdtempSync(join(dir, 'escape-'));
    const folder = join(parent, 'ckpt');
    mkdirSync(join(folder, 'shards'), { recursive: true });
    const tensor = { x: { dtype: 'F32' as const, shape: [1], data: Float32Array.from([1]) } };
    writeSafetensors(join(parent, 'outside.safetensors'), tensor);
    writeSafetensors(join(folder, 'shards', 'inside.safetensors'), tensor);
    const withShard = (shard: unknown) => {
      writeFileSync(join(folder, 'model.safetensors.index.json'), JSON.stringify({ weight_map: { x: shard } }));
      return () => SafetensorsCheckpoint.open(folder);
    };
    expect(withShard('../outside.safetensors')).toThrow(/weight_map entry "\.\.\/outside\.safetensors" leaves the folder/);
    expect(withShard('shards/../../outside.safetensors')).toThrow(/leaves the folder/);
    expect(withShard(join(parent, 'outside.safetensors'))).toThrow(/is not a relative path/);
    expect(withShard('..\\outside.safetensors')).toThrow(/is not a relative path/);
    expect(withShard(7)).toThrow(/is not a file name/);
    expect(withShard('shards/inside.safetensors')().get('x').file).toBe(join(folder, 'shards', 'inside.safetensors'));
  });

  it('rejects malformed files with errors naming the file and tensor', () => {
    const tiny = join(dir, 'tiny.safetensors');
    writeFileSync(tiny, Buffer.from([1, 2, 3]));
    expect(() => readSafetensorsHeader(tiny)).toThrow(/tiny.safetensors: truncated/);
    const data = new Uint8Array(8);
    const longHeader = rawFile('long.safetensors', { t: { dtype: 'F32', shape: [2], data_offsets: [0, 8] } }, data, 10_000);
    expect(() => readSafetensorsHeader(longHeader)).toThrow(/header length 10000 exceeds the file size/);
    const outOfRange = rawFile('range.safetensors', { t: { dtype: 'F32', shape: [4], data_offsets: [0, 16] } }, data);
    expect(() => readSafetensorsHeader(outOfRange)).toThrow(/range.safetensors: tensor "t" ends at byte 16.*truncated/);
    const wrongSize = rawFile('size.safetensors', { t: { dtype: 'F32', shape: [3], data_offsets: [0, 8] } }, data);
    expect(() => readSafetensorsHeader(wrongSize)).toThrow(/tensor "t" data_offsets \[0, 8\] hold 8 bytes but F32\[3\] needs 12/);
    const overlap = rawFile('overlap.safetensors', {
      p: { dtype: 'F32', shape: [2], data_offsets: [0, 8] },
      q: { dtype: 'F32', shape: [1], data_offsets: [4, 8] },
    }, data);
    expect(() => readSafetensorsHeader(overlap)).toThrow(/overlap.safetensors: tensors "p" and "q" overlap/);
    const unknown = rawFile('dtype.safetensors', { t: { dtype: 'F8_E4M3', shape: [8], data_offsets: [0, 8] } }, data);
    expect(() => readSafetensorsHeader(unknown)).toThrow(/dtype.safetensors: tensor "t" has unknown dtype "F8_E4M3"/);
    const notJson = join(dir, 'text.safetensors');
    writeFileSync(notJson, Buffer.concat([Buffer.from([4, 0, 0, 0, 0, 0, 0, 0]), Buffer.from('abcd')]));
    expect(() => readSafetensorsHeader(notJson)).toThrow(/text.safetensors: the header is not valid JSON/);
    expect(() => SafetensorsCheckpoint.open(join(dir, 'missing-folder'))).toThrow(/no model.safetensors/);
  });

  it('refuses to write data that does not match the shape', () => {
    expect(() => writeSafetensors(join(dir, 'bad.safetensors'), { t: { dtype: 'F32', shape: [3], data: new Float32Array(2) } }))
      .toThrow(/"t" has 2 values but shape \[3\] needs 3/);
  });
});
