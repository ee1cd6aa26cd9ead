import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import onnxProto from 'onnx-proto';
import { afterAll, describe, expect, it } from 'vitest';
import { Graph, type LazyTensor, makeTensor } from './graph';
import * as op from './ops';
import { writeModel, serializeModel } from './write';

const dir = mkdtempSync(join(tmpdir(), 'distillery-onnx-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const noOpt: ort.InferenceSession.SessionOptions = { graphOptimizationLevel: 'disabled' };

function lazyF32(dims: number[], fill: (i: number) => number): LazyTensor & { reads: number } {
  const count = dims.reduce((a, b) => a * b, 1);
  const tensor = {
    dtype: 'float32' as const, dims, reads: 0,
    bytes() {
      tensor.reads++;
      const data = Float32Array.from({ length: count }, (_, i) => fill(i));
      return new Uint8Array(data.buffer);
    },
  };
  return tensor;
}

/** y = softmax(reshape(x @ W + b, [batch, seq, 2, 3]), -1), plus a mask output made of symbolic-shape ops. */
function buildMlp(): { graph: Graph; w: ReturnType<typeof lazyF32>; bias: ReturnType<typeof lazyF32> } {
  const g = new Graph();
  const x = g.input('x', 'float32', ['batch', 'seq', 4]); // [batch, seq, 4]
  const w = lazyF32([4, 6], (i) => Math.sin(i + 1));
  const bias = lazyF32([6], (i) => i * 0.1);
  const y = g.scope('model', () => g.scope('proj', () => {
    const h = op.add(g, op.matMul(g, x, g.initializer('model.proj.weight', w)), g.initializer('model.proj.bias', bias)); // [batch, seq, 6]
    const split = op.reshape(g, h, [0, 0, 2, -1]); // [batch, seq, 2, 3]
    return op.softmax(g, split, -1);
  }));
  g.output(y, 'probs');
  const seqLen = op.gather(g, op.shape(g, x), g.scalar('int64', 1)); // scalar
  const positions = op.range(g, g.scalar('int64', 0), seqLen, g.scalar('int64', 1), 'seq'); // [seq]
  const causal = op.lessOrEqual(g, op.unsqueeze(g, positions, [1]), op.unsqueeze(g, positions, [0])); // [seq, seq]
  g.output(op.cast(g, causal, 'int64'), 'causal');
  return { graph: g, w, bias };
}

function referenceProbs(x: Float32Array, rows: number): number[] {
  const out: number[] = [];
  for (let r = 0; r < rows; r++) {
    const h = Array.from({ length: 6 }, (_, j) => {
      let s = j * 0.1;
      for (let k = 0; k < 4; k++) s += x[r * 4 + k] * Math.fround(Math.sin(k * 6 + j + 1));
      return s;
    });
    for (const group of [h.slice(0, 3), h.slice(3)]) {
      const m = Math.max(...group);
      const e = group.map((v) => Math.exp(v - m));
      const z = e.reduce((a, b) => a + b, 0);
      out.push(...e.map((v) => v / z));
    }
  }
  return out;
}

describe('graph IR', () => {
  it('names nodes hierarchically, computes static shapes and deduplicates constants', () => {
    const { graph } = buildMlp();
    const names = graph.nodes.map((n) => n.name);
    expect(names).toContain('/model/proj/MatMul');
    expect(names).toContain('/model/proj/Reshape');
    const softmax = graph.nodes.find((n) => n.opType === 'Softmax')!;
    expect(softmax.outputs[0].name).toBe('/model/proj/Softmax/output_0');
    expect(softmax.outputs[0].shape).toEqual(['batch', 'seq', 2, 3]);
    expect(graph.outputs.map((o) => o.name)).toEqual(['probs', 'causal']);
    expect(graph.outputs[1].shape).toEqual(['seq', 'seq']);
    // Unsqueeze [1] appears twice with an identical axes constant: one initializer.
    const constants = [...graph.initializers.values()].filter((i) => i.kind === 'constant');
    const keys = constants.map((c) => `${c.value.dtype}${JSON.stringify(Array.from(c.source.dims))}${JSON.stringify(Array.from((graph.constantData(c.value)!.data as BigInt64Array), String))}`);
    expect(new Set(keys).size).toBe(keys.length);
    expect(graph.constant('int64', [1], [1])).toBe(graph.constant('int64', [1], [1n]));
    expect(() => graph.input('x', 'float32', [1])).toThrow(/already used/);
    expect(() => op.matMul(graph, graph.inputs[0], graph.constant('float32', [3, 2], [1, 2, 3, 4, 5, 6]))).toThrow(/inner dims differ/);
  });

  it('makeTensor takes packed bytes and float32 arrays as a copy, and converts plain numbers', () => {
    const packed = Uint8Array.from([1, 2, 255, 0]);
    const t = makeTensor('uint8', [2, 2], packed);
    packed[0] = 9;
    expect([...t.data]).toEqual([1, 2, 255, 0]);
    expect([...makeTensor('float32', [2], Float32Array.from([0.5, -1])).data]).toEqual([0.5, -1]);
    expect([...makeTensor('float16', [1], Float32Array.from([1])).data]).toEqual([0x3c00]);
    expect(() => makeTensor('uint8', [3], packed)).toThrow(/4 values for dims \[3\]/);
  });

  it('writes weights as aligned external data that ORT loads and runs', async () => {
    const { graph, w, bias } = buildMlp();
    const file = join(dir, 'mlp.onnx');
    const result = await writeModel(graph, file, { inlineLimitBytes: 16 });
    expect(result.dataFiles).toEqual(['mlp.onnx_data']);
    expect(w.reads).toBe(1);
    expect(bias.reads).toBe(1);
    const model = onnxProto.onnx.ModelProto.decode(readFileSync(file));
    expect(Number(model.irVersion)).toBe(8);
    expect(model.opsetImport.map((o) => [o.domain, Number(o.version)])).toEqual([['', 17]]);
    const external = model.graph!.initializer!.filter((t) => t.dataLocation === 1);
    expect(external.map((t) => t.name).sort()).toEqual(['model.proj.bias', 'model.proj.weight']);
    for (const t of external) {
      const entries = Object.fromEntries(t.externalData!.map((e) => [e.key, e.value]));
      expect(entries.location).toBe('mlp.onnx_data');
      expect(Number(entries.offset) % 4096).toBe(0);
    }
    const session = await ort.InferenceSession.create(file, noOpt);
    const x = Float32Array.from({ length: 2 * 3 * 4 }, (_, i) => Math.cos(i));
    const out = await session.run({ x: new ort.Tensor('float32', x, [2, 3, 4]) });
    expect(out.probs.dims).toEqual([2, 3, 2, 3]);
    const expected = referenceProbs(x, 6);
    const probs = out.probs.data as Float32Array;
    expect(Math.max(...expected.map((v, i) => Math.abs(v - probs[i])))).toBeLessThan(1e-6);
    expect(out.causal.dims).toEqual([3, 3]);
    expect(Array.from(out.causal.data as BigInt64Array, Number)).toEqual([1, 1, 1, 0, 1, 1, 0, 0, 1]);
    await session.release();
  });

  it('splits external data into chunks past the size threshold', async () => {
    const g = new Graph();
    const x = g.input('x', 'float32', [2, 'n']);
    let h = x;
    for (let i = 0; i < 3; i++) {
      const wData = Float32Array.from({ length: 2 * 2 }, (_, j) => (i + 1) * (j + 1));
      h = op.matMul(g, g.initializer(`w${i}`, { dtype: 'float32', dims: [2, 2], data: wData }), h);
    }
    g.output(h, 'y');
    const file = join(dir, 'chunked.onnx');
    const result = await writeModel(g, file, { inlineLimitBytes: 1, alignment: 64, chunkBytes: 70 });
    expect(result.dataFiles).toEqual(['chunked.onnx_data', 'chunked.onnx_data_1', 'chunked.onnx_data_2']);
    expect(readdirSync(dir).filter((f) => f.startsWith('chunked.onnx_data')).length).toBe(3);
    expect(statSync(join(dir, 'chunked.onnx_data_1')).size).toBe(16);
    const session = await ort.InferenceSession.create(file, noOpt);
    const out = await session.run({ x: new ort.Tensor('float32', Float32Array.from([1, 0, 0, 1]), [2, 2]) });
    // W2·W1·W0 with W_i = (i+1)·[[1,2],[3,4]]: 6·M³ where M³ = [[37,54],[81,118]].
    expect(Array.from(out.y.data as Float32Array)).toEqual([222, 324, 486, 708]);
    await session.release();
  });

  it('serializes everything inline for in-memory sessions', async () => {
    const { graph } = buildMlp();
    const bytes = await serializeModel(graph);
    const session = await ort.InferenceSession.create(bytes, noOpt);
    expect(session.outputNames).toEqual(['probs', 'causal']);
    await session.release();
  });

  it('writes If branches that read outer values and initializers, and ORT runs the branch the condition picks', async () => {
    const g = new Graph();
    const x = g.input('x', 'float32', ['n', 2]);
    const w = g.initializer('w', { dtype: 'float32', dims: [2, 2], data: Float32Array.from([1, 2, 3, 4]) });
    const wide = op.greater(g, op.gather(g, op.shape(g, x), g.scalar('int64', 0)), g.scalar('int64', 1)); // n > 1
    const doubled = op.mul(g, x, g.scalar('float32', 2)); // outer value only the else branch reads
    const thenBranch = g.subgraph('wide', () => [op.matMul(g, x, w)]);
    const elseBranch = g.subgraph('narrow', () => [doubled]); // an outer value: returned through an Identity
    const [y] = op.ifThenElse(g, wide, thenBranch, elseBranch);
    g.output(y, 'y');
    expect(y.shape).toEqual(['n', 2]);
    expect(g.nodes.some((n) => n.opType === 'MatMul')).toBe(false); // in the branch, not the main graph
    expect(Array.from(g.allNodes(), (n) => n.opType)).toContain('MatMul');
    expect(elseBranch.nodes.map((n) => n.opType)).toEqual(['Identity']);
    expect(thenBranch.nodes[0].name).toBe('/wide/MatMul');
    g.prune();
    expect(g.initializers.has('w')).toBe(true); // read only inside a branch, still kept
    expect(g.nodes.some((n) => n.opType === 'Mul')).toBe(true);
    expect(() => op.ifThenElse(g, wide, thenBranch, g.subgraph('two', () => [x, x]))).toThrow(/return 1 and 2 values/);
    g.prune();
    const session = await ort.InferenceSession.create(await serializeModel(g));
    const two = await session.run({ x: new ort.Tensor('float32', Float32Array.from([1, 0, 0, 1]), [2, 2]) });
    expect(Array.from(two.y.data as Float32Array)).toEqual([1, 2, 3, 4]); // x·w
    const one = await session.run({ x: new ort.Tensor('float32', Float32Array.from([5, 6]), [1, 2]) });
    expect(Array.from(one.y.data as Float32Array)).toEqual([10, 12]); // 2x
    await session.release();
  });
});
