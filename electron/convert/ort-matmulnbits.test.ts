// Packing verified against ONNX Runtime itself: one MatMulNBits node (and one GatherBlockQuantized node) versus the
// float op on the dequantized weights. The models are built here with onnx-proto directly, independent of the app's
// graph writer, so a bug in either cannot hide the other's.
import { describe, expect, it } from 'vitest';
import onnxProto from 'onnx-proto';
import type { onnx as P } from 'onnx-proto';

const { onnx } = onnxProto;
import * as ort from 'onnxruntime-node';
import { dequantizeMatMulNBits, quantizeMatMulNBits, scalesAsF16Bits, type QuantizedWeight } from './quantize';
import { f16BitsToF32, f32ToF16Bits } from '../util/float16';

const { DataType } = onnx.TensorProto;

function tensor(name: string, dataType: number, dims: number[], bytes: Uint8Array): P.ITensorProto {
  return { name, dataType, dims, rawData: bytes };
}
const bytesOf = (a: ArrayBufferView) => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);

function valueInfo(name: string, elemType: number, dims: (number | string)[]): P.IValueInfoProto {
  const dim = dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d }));
  return { name, type: { tensorType: { elemType, shape: { dim } } } };
}

function model(nodes: P.INodeProto[], inits: P.ITensorProto[], inputs: P.IValueInfoProto[], outputs: P.IValueInfoProto[]) {
  const proto = onnx.ModelProto.create({
    irVersion: 8,
    opsetImport: [{ domain: '', version: 17 }, { domain: 'com.microsoft', version: 1 }],
    graph: { name: 'check', node: nodes, initializer: inits, input: inputs, output: outputs },
  });
  return onnx.ModelProto.encode(proto).finish();
}

const attrInt = (name: string, i: number): P.IAttributeProto => ({ name, type: onnx.AttributeProto.AttributeType.INT, i });

function randomFloats(n: number, seed: number, scale = 1): Float32Array {
  let s = seed >>> 0;
  return Float32Array.from({ length: n }, () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return (s / 2 ** 32 - 0.5) * 2 * scale;
  });
}

function transposeToKN(w: Float32Array, N: number, K: number): Float32Array {
  const out = new Float32Array(K * N);
  for (let n = 0; n < N; n++) for (let k = 0; k < K; k++) out[k * N + n] = w[n * K + k];
  return out;
}

async function runMatMulNBits(q: QuantizedWeight, a: Float32Array, M: number, accuracyLevel: number, f16: boolean) {
  const ft = f16 ? DataType.FLOAT16 : DataType.FLOAT;
  const scales = f16 ? bytesOf(scalesAsF16Bits(q)) : bytesOf(q.scales);
  const inits = [
    tensor('B', DataType.UINT8, [q.N, q.kBlocks, q.blockSize / 2], q.packed),
    tensor('scales', ft, [q.N * q.kBlocks], scales),
  ];
  if (q.zeroPoints) inits.push(tensor('zp', DataType.UINT8, [q.N, Math.ceil(q.kBlocks / 2)], q.zeroPoints));
  const node: P.INodeProto = {
    opType: 'MatMulNBits',
    domain: 'com.microsoft',
    input: ['A', 'B', 'scales', ...(q.zeroPoints ? ['zp'] : [])],
    output: ['Y'],
    attribute: [attrInt('K', q.K), attrInt('N', q.N), attrInt('bits', 4), attrInt('block_size', q.blockSize), attrInt('accuracy_level', accuracyLevel)],
  };
  const bytes = model([node], inits, [valueInfo('A', ft, ['m', q.K])], [valueInfo('Y', ft, ['m', q.N])]);
  const session = await ort.InferenceSession.create(bytes);
  const input = f16
    ? new ort.Tensor('float16', Uint16Array.from(a, (v) => f32ToF16Bits(v)), [M, q.K])
    : new ort.Tensor('float32', a, [M, q.K]);
  const out = (await session.run({ A: input })).Y;
  await session.release();
  return f16 ? Float32Array.from(out.data as Uint16Array, f16BitsToF32) : (out.data as Float32Array);
}

async function runMatMul(wKN: Float32Array, a: Float32Array, M: number, K: number, N: number) {
  const bytes = model(
    [{ opType: 'MatMul', input: ['A', 'W'], output: ['Y'] }],
    [tensor('W', DataType.FLOAT, [K, N], bytesOf(wKN))],
    [valueInfo('A', DataType.FLOAT, ['m', K])],
    [valueInfo('Y', DataType.FLOAT, ['m', N])],
  );
  const session = await ort.InferenceSession.create(bytes);
  const out = (await session.run({ A: new ort.Tensor('float32', a, [M, K]) })).Y.data as Float32Array;
  await session.release();
  return out;
}

function maxRelDiff(got: Float32Array, want: Float32Array): number {
  let scale = 0;
  let diff = 0;
  for (let i = 0; i < want.length; i++) {
    scale = Math.max(scale, Math.abs(want[i]));
    diff = Math.max(diff, Math.abs(got[i] - want[i]));
  }
  return diff / scale;
}

describe('MatMulNBits packing agrees with ONNX Runtime', () => {
  const cases = [
    { K: 80, N: 24, bs: 32, symmetric: true },
    { K: 80, N: 24, bs: 32, symmetric: false },
    { K: 256, N: 40, bs: 64, symmetric: false },
    { K: 96, N: 17, bs: 16, symmetric: true },
    { K: 200, N: 33, bs: 128, symmetric: false },
  ];
  for (const { K, N, bs, symmetric } of cases) {
    it(`K=${K} N=${N} block=${bs} ${symmetric ? 'symmetric' : 'asymmetric'}: ≤ 1e-5 relative vs MatMul(dequantized)`, async () => {
      const M = 3;
      const w = randomFloats(N * K, K * N + bs, 0.1);
      const a = randomFloats(M * K, 99);
      const q = quantizeMatMulNBits(w, N, K, { blockSize: bs, symmetric });
      const want = await runMatMul(transposeToKN(dequantizeMatMulNBits(q), N, K), a, M, K, N);
      const got = await runMatMulNBits(q, a, M, 0, false);
      expect(maxRelDiff(got, want)).toBeLessThanOrEqual(1e-5);
    });
  }

  it('accuracy_level 4 (int8 activations) stays close: ≤ 2e-2 relative', async () => {
    const [M, K, N] = [2, 256, 32];
    const q = quantizeMatMulNBits(randomFloats(N * K, 5, 0.1), N, K);
    const want = await runMatMul(transposeToKN(dequantizeMatMulNBits(q), N, K), randomFloats(M * K, 6), M, K, N);
    const got = await runMatMulNBits(q, randomFloats(M * K, 6), M, 4, false);
    expect(maxRelDiff(got, want)).toBeLessThanOrEqual(2e-2);
  });

  it('float16 A and scales (q4f16): agrees with the float32 MatMul within fp16 rounding (≤ 2e-3 relative)', async () => {
    const [M, K, N] = [2, 128, 24];
    const q = quantizeMatMulNBits(randomFloats(N * K, 8, 0.1), N, K, { scaleDtype: 'float16', symmetric: false });
    const a = Float32Array.from(randomFloats(M * K, 9), (v) => f16BitsToF32(f32ToF16Bits(v)));
    const want = await runMatMul(transposeToKN(dequantizeMatMulNBits(q), N, K), a, M, K, N);
    const got = await runMatMulNBits(q, a, M, 0, true);
    expect(maxRelDiff(got, want)).toBeLessThanOrEqual(2e-3);
  });
});

describe('GatherBlockQuantized (quantized embeddings) agrees with ONNX Runtime', () => {
  for (const symmetric of [true, false]) {
    it(`uint8-packed 4-bit rows, block 32, ${symmetric ? 'no zero points' : 'zero points'}: exact vs dequantized rows`, async () => {
      const [vocab, hidden, bs] = [10, 64, 32];
      const q = quantizeMatMulNBits(randomFloats(vocab * hidden, 11, 0.1), vocab, hidden, { blockSize: bs, symmetric });
      const inits = [
        tensor('data', DataType.UINT8, [vocab, hidden / 2], q.packed),
        tensor('scales', DataType.FLOAT, [vocab, hidden / bs], bytesOf(q.scales)),
      ];
      if (q.zeroPoints) inits.push(tensor('zp', DataType.UINT8, [vocab, Math.ceil(hidden / bs / 2)], q.zeroPoints));
      const node: P.INodeProto = {
        opType: 'GatherBlockQuantized',
        domain: 'com.microsoft',
        input: ['data', 'ids', 'scales', ...(q.zeroPoints ? ['zp'] : [])],
        output: ['Y'],
        attribute: [attrInt('gather_axis', 0), attrInt('quantize_axis', 1), attrInt('block_size', bs), attrInt('bits', 4)],
      };
      const bytes = model([node], inits, [valueInfo('ids', DataType.INT64, ['b', 's'])], [valueInfo('Y', DataType.FLOAT, ['b', 's', hidden])]);
      const session = await ort.InferenceSession.create(bytes);
      const ids = [3, 0, 9, 3];
      const out = (await session.run({ ids: new ort.Tensor('int64', BigInt64Array.from(ids, BigInt), [1, 4]) })).Y.data as Float32Array;
      await session.release();
      const table = dequantizeMatMulNBits(q);
      const want = Float32Array.from({ length: ids.length * hidden }, (_, i) => table[ids[Math.floor(i / hidden)] * hidden + (i % hidden)]);
      expect(maxRelDiff(out, want)).toBeLessThanOrEqual(1e-6);
    });
  }
});
