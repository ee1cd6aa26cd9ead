import * as ort from 'onnxruntime-node';
import onnxProto from 'onnx-proto';
import { describe, expect, it } from 'vitest';
import { parseModelConfig } from '../model/config';
import { buildDecoder } from '../model/decoder';
import { randomWeights, tinyConfigJson } from '../testing/tiny-checkpoint';
import { memoryWeights } from '../model/weights';
import { type Dim, Graph } from './graph';
import * as op from './ops';
import { broadcastShapes, reshapeTarget } from './shape';
import { serializeModel } from './write';

/** Evaluate a static dim ('seq', 'past_seq + seq', 4) under concrete symbol sizes. */
function resolveDim(dim: Dim, sizes: Record<string, number>): number {
  if (typeof dim === 'number') return dim;
  const expression = dim.replace(/[A-Za-z_][A-Za-z_0-9]*/g, (name) => {
    if (!(name in sizes)) throw new Error(`unresolved symbol ${name} in "${dim}"`);
    return String(sizes[name]);
  });
  if (!/^[0-9+*() ]+$/.test(expression)) throw new Error(`bad dim expression ${dim}`);
  return Function(`return (${expression});`)() as number;
}

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
      const outputNames = new Set(graph.outputs.map((o) => o.name));
      const intermediates = graph.nodes.flatMap((n) => n.outputs).filter((v) => !outputNames.has(v.name));
      graph.outputs.push(...intermediates);
      const session = await ort.InferenceSession.create(await serializeModel(graph), { graphOptimizationLevel: 'disabled' });
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
      const out = await session.run(feeds);
      const sizes = { batch, seq, past_seq: past, total_seq: total };
      const mismatches = graph.outputs
        .map((v) => ({ name: v.name, declared: v.shape.map((d) => resolveDim(d, sizes)), actual: [...(out[v.name] as ort.Tensor).dims] }))
        .filter((m) => JSON.stringify(m.declared) !== JSON.stringify(m.actual));
      expect(mismatches).toEqual([]);
      expect(intermediates.length).toBeGreaterThan(50);
      await session.release();
    }
  });
});
