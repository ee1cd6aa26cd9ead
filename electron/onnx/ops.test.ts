import * as ort from 'onnxruntime-node';
import onnxProto from 'onnx-proto';
import { describe, expect, it } from 'vitest';
import { parseModelConfig } from '../model/config';
import { buildDecoder } from '../model/decoder';
import { randomWeights, tinyConfigJson } from '../testing/tiny-checkpoint';
import { memoryWeights } from '../model/weights';
import { Graph } from './graph';
import { staticShapeMismatches } from '../testing/static-shapes';
import * as op from './ops';
import { broadcastShapes, reshapeTarget } from './shape';
import { serializeModel } from './write';

describe('static shapes', () => {
  it('broadcast symbolic dims and resolve reshape targets', () => {
    expect(broadcastShapes(['batch', 1, 'seq', 1], [4, 1, 'total_seq'])).toEqual(['batch', 4, 'seq', 'total_seq']);
    expect(() => broadcastShapes([3, 2], [4, 2])).toThrow(/do not broadcast \(3 vs 4\)/);
    expect(reshapeTarget(['batch', 'seq', 32], [0, 0, 4, -1])).toEqual(['batch', 'seq', 4, 8]);
    expect(reshapeTarget(['batch', 'seq', 4, 8], [0, -1, 32])).toEqual(['batch', 'seq', 32]);
    expect(reshapeTarget(['batch', 'seq', 32], [-1, 32])).toEqual(['batch * seq', 32]);
    expect(reshapeTarget([6, 4], [-1])).toEqual([24]);
  });

  it('computes slice, squeeze, concat, gather, matmul and reduce shapes', () => {
    const g = new Graph();
    const x = g.input('x', 'float32', ['batch', 10, 8]);
    expect(op.slice(g, x, [2], [-1], [1]).shape).toEqual(['batch', 7, 8]);
    expect(op.slice(g, x, [-3], [100], [2]).shape).toEqual(['batch', 10, 3]);
    expect(op.slice(g, x, [9], [0], [1], undefined, [-2]).shape).toEqual(['batch', 5, 8]);
    expect(() => op.slice(g, x, [0], [1], [0])).toThrow(/pass outDims/);
    expect(op.squeeze(g, op.unsqueeze(g, x, [0, -1]), [0]).shape).toEqual(['batch', 10, 8, 1]);
    expect(op.concat(g, [x, x], 1).shape).toEqual(['batch', 20, 8]);
    expect(op.gather(g, x, g.input('i', 'int64', [2, 3]), 1).shape).toEqual(['batch', 2, 3, 8]);
    expect(op.matMul(g, x, g.input('w', 'float32', [8, 5])).shape).toEqual(['batch', 10, 5]);
    expect(op.matMul(g, g.input('v', 'float32', [8]), g.input('m', 'float32', [8, 5])).shape).toEqual([5]);
    expect(op.reduceSum(g, x, [-1], false).shape).toEqual(['batch', 10]);
    expect(op.reduceMean(g, x, [1]).shape).toEqual(['batch', 1, 8]);
    expect(op.shape(g, x, 1).shape).toEqual([2]);
    expect(() => op.add(g, x, g.input('n', 'int64', [8]))).toThrow(/x is float32 but n is int64; insert a cast/);
  });

  it('infers the shapes of gemm, scatter, pad, split, size, matMulNBits and of reshapes to a run-time Shape', () => {
    const g = new Graph();
    const a = g.input('a', 'float32', ['rows', 8]);
    const w = g.input('w', 'float32', [5, 8]);
    expect(op.gemm(g, a, w, { transB: true }).shape).toEqual(['rows', 5]);
    expect(op.gemm(g, a, g.input('d', 'float32', ['rows', 5]), { transA: true }).shape).toEqual([8, 5]);
    expect(() => op.gemm(g, a, w)).toThrow(/inner dims differ/);
    const idx = g.input('idx', 'int64', ['rows', 1]);
    expect(op.scatterElements(g, a, idx, g.input('u', 'float32', ['rows', 1]), 1, 'add').shape).toEqual(['rows', 8]);
    expect(op.pad(g, g.input('p', 'float32', [2, 3]), [1, 0, 0, 2]).shape).toEqual([3, 5]);
    expect(() => op.pad(g, a, [1, 0, 0, 0])).toThrow(/symbolic.*pass outShape/);
    expect(op.split(g, w, [2, 3], 0).map((v) => v.shape)).toEqual([[2, 8], [3, 8]]);
    expect(op.size(g, a).shape).toEqual([]);
    const x = g.input('x', 'float32', ['batch', 'seq', 4]);
    const flat = op.reshape(g, x, [-1, 4]);
    expect(flat.shape).toEqual(['batch * seq', 4]);
    expect(op.reshape(g, flat, op.shape(g, x)).shape).toEqual(['batch', 'seq', 4]);
    expect(op.expand(g, g.input('one', 'float32', [1]), op.shape(g, x)).shape).toEqual(['batch', 'seq', 4]);
    expect(op.zerosLike(g, x).shape).toEqual(['batch', 'seq', 4]);
    const packed = g.input('q', 'uint8', [6, 1, 4]);
    const y = op.matMulNBits(g, g.input('h', 'float32', ['batch', 'seq', 8]), { packed, scales: g.input('s', 'float32', [6]), K: 8, N: 6, bits: 4, blockSize: 8, accuracyLevel: 0 });
    expect(y.shape).toEqual(['batch', 'seq', 6]);
    expect(g.producer(y)).toMatchObject({ opType: 'MatMulNBits', domain: 'com.microsoft', attrs: { K: 8, N: 6, bits: 4, block_size: 8, accuracy_level: 0 } });
    expect(() => op.matMulNBits(g, a, { packed, scales: g.input('s16', 'float16', [6]), K: 8, N: 6, bits: 4, blockSize: 8, accuracyLevel: 0 })).toThrow(/scales are float16/);
    expect(() => op.matMulNBits(g, a, { packed, scales: g.input('s2', 'float32', [6]), K: 8, N: 5, bits: 4, blockSize: 8, accuracyLevel: 0 })).toThrow(/\[6, 1, 4\] is not the packed layout \[5, 1, 4\]/);
  });

  it('infers the quantized embedding lookup and keeps the zero-point slot of both 4-bit ops', () => {
    const g = new Graph();
    const ids = g.input('ids', 'int64', ['batch', 'seq']);
    const table = { packed: g.input('t', 'uint8', [100, 32]), scales: g.input('ts', 'float16', [100, 2]), bits: 4, blockSize: 32 };
    const rows = op.gatherBlockQuantized(g, table, ids);
    expect(rows).toMatchObject({ dtype: 'float16', shape: ['batch', 'seq', 64] });
    const node = g.producer(rows)!;
    expect(node).toMatchObject({ opType: 'GatherBlockQuantized', domain: 'com.microsoft', attrs: { gather_axis: 0, quantize_axis: 1, block_size: 32, bits: 4 } });
    expect(node.inputs.map((v) => v?.name)).toEqual(['t', 'ids', 'ts', undefined]);
    const zp = g.input('tz', 'uint8', [100, 1]);
    expect(g.producer(op.gatherBlockQuantized(g, { ...table, zeroPoints: zp }, ids))!.inputs[3]).toBe(zp);
    expect(() => op.gatherBlockQuantized(g, { ...table, blockSize: 48 }, ids)).toThrow(/width 64 is not a multiple of the block size 48/);
    expect(() => op.gatherBlockQuantized(g, table, g.input('f', 'float32', [3]))).toThrow(/ids f are float32/);
    const y = op.matMulNBits(g, g.input('x', 'float32', [2, 64]), { packed: g.input('b', 'uint8', [3, 2, 16]), scales: g.input('s', 'float32', [6]), K: 64, N: 3, bits: 4, blockSize: 32, accuracyLevel: 4 });
    expect(g.producer(y)!.inputs.map((v) => v?.name)).toEqual(['x', 'b', 's', undefined]);
  });

  it('names nodes and dims the same in every build (nothing counts across graphs)', () => {
    const build = () => {
      const g = new Graph();
      const x = g.input('x', 'float32', ['batch', 'seq', 6]);
      g.scope('a', () => op.reshape(g, op.add(g, x, x), [0, -1, 4])); // a dim the builder cannot name from its input
      g.output(op.reshape(g, x, [0, -1, 4]), 'y');
      return g;
    };
    const [first, second] = [build(), build()];
    expect(second.nodes.map((n) => [n.name, n.outputs.map((o) => o.shape)])).toEqual(first.nodes.map((n) => [n.name, n.outputs.map((o) => o.shape)]));
    expect(first.outputs[0].shape[1]).toMatch(/^reshape_/);
  });

  it('prune removes dead node chains and the initializers only they read', () => {
    const g = new Graph();
    const x = g.input('x', 'float32', [2, 3]);
    const w = g.initializer('w', { dtype: 'float32', dims: [3, 3], data: new Float32Array(9) });
    const dead = op.relu(g, op.matMul(g, x, w));
    const kept = op.neg(g, x);
    g.output(kept, 'y');
    expect(g.prune()).toBe(2);
    expect(g.nodes.map((n) => n.opType)).toEqual(['Neg', 'Identity']);
    expect(g.initializers.has('w')).toBe(false);
    expect(g.producer(dead)).toBeUndefined();
  });

  it('rename makes a node write a graph output itself: producer, readers and outputs follow the new name', () => {
    const g = new Graph();
    const x = g.input('x', 'float32', [2, 3]);
    const y = op.neg(g, x);
    const z = op.relu(g, y);
    g.output(y);
    const named = g.rename(y, 'present');
    expect(g.producer(named)?.outputs).toEqual([named]);
    expect(g.producer(y)).toBeUndefined();
    expect(g.producer(z)?.inputs).toEqual([named]);
    expect(g.outputs).toEqual([named]);
    expect(g.nodes).toHaveLength(2); // no Identity
    expect(() => g.rename(x, 'x2')).toThrow(/"x" is not a node's output/);
    expect(() => g.rename(z, 'present')).toThrow(/"present" is already used/);
  });

  it('declares com.microsoft opset 1 only when a contrib op is used', async () => {
    const g = new Graph();
    const x = g.input('x', 'float32', [2, 3]);
    g.output(g.node('FastGelu', [x], [{ dtype: 'float32', shape: [2, 3] }], {}, { domain: 'com.microsoft' })[0], 'y');
    const bytes = await serializeModel(g);
    const imports = onnxProto.onnx.ModelProto.decode(bytes).opsetImport.map((o) => [o.domain, Number(o.version)]);
    expect(imports).toEqual([['', 17], ['com.microsoft', 1]]);
    const session = await ort.InferenceSession.create(bytes);
    const y = (await session.run({ x: new ort.Tensor('float32', Float32Array.from([0, 1, -1, 2, 0.5, 3]), [2, 3]) })).y.data as Float32Array;
    expect(y[1]).toBeCloseTo(0.8412, 3); // gelu(1)
    await session.release();
  });

  it('every value of the decoder graph has the static shape ORT computes at run time', async () => {
    for (const options of [{ kvCache: true }, { kvCache: false, maskMode: 'segments' as const }]) {
      const json = tinyConfigJson('llama', { num_hidden_layers: 1, attention_bias: true });
      const config = parseModelConfig(json);
      const { graph } = buildDecoder(config, memoryWeights(randomWeights(json, 2)), options);
      const [batch, seq, past] = [2, 3, options.kvCache ? 4 : 0];
      const total = past + seq;
      const feeds: Record<string, ort.Tensor> = {
        input_ids: new ort.Tensor('int64', new BigInt64Array(batch * seq).fill(1n), [batch, seq]),
        attention_mask: new ort.Tensor('int64', new BigInt64Array(batch * total).fill(1n), [batch, total]),
        position_ids: new ort.Tensor('int64', new BigInt64Array(batch * seq), [batch, seq]),
      };
      if (options.kvCache) {
        for (const kind of ['key', 'value']) {
          feeds[`past_key_values.0.${kind}`] = new ort.Tensor('float32', new Float32Array(batch * 2 * past * 8), [batch, 2, past, 8]);
        }
      }
      const { mismatches, compared } = await staticShapeMismatches(graph, feeds, { batch, seq, past_seq: past, total_seq: total });
      expect(mismatches).toEqual([]);
      expect(compared).toBeGreaterThan(50);
    }
  });
});
