/**
 * The chunked loss head against the plain one: the same loss, and its hand-written gradient w.r.t. the hidden states
 * against the autodiff gradient of the full-logits loss (float64 through ORT), for chunkings that split rows,
 * leave a partial last chunk, leave chunks empty, or give the last chunk more than its share.
 */
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { Graph } from '../onnx/graph';
import * as O from '../onnx/ops';
import { serializeModel } from '../onnx/write';
import { randomFeed, toOrt } from '../testing/gradcheck';
import { appendBackward } from './autodiff';
import { chunkedHeadLoss, type LossChunking, weightedNll } from './head-loss';

const [ROWS, SEQ, HIDDEN, VOCAB] = [2, 5, 4, 11];

function buildGraphs(chunking: LossChunking) {
  const plain = new Graph('plain');
  const chunked = new Graph('chunked');
  for (const g of [plain, chunked]) {
    const hidden = g.input('hidden', 'float64', ['batch', 'seq', HIDDEN]);
    const ids = g.input('input_ids', 'int64', ['batch', 'seq']);
    const weights = g.input('loss_weights', 'float32', ['batch', 'seq']);
    const values = randomFeed([HIDDEN, VOCAB], 3, -2, 2).data as Float64Array; // [hidden, vocab]
    if (g === plain) {
      const w = g.initializer('lm_head.weight', { dtype: 'float64', dims: [HIDDEN, VOCAB], data: values });
      const loss = weightedNll(g, O.matMul(g, hidden, w), ids, weights);
      g.output(loss, 'loss');
      g.output(appendBackward(g, [hidden], loss).get('hidden')!, 'd_hidden');
    } else {
      // the loss head takes the weight as the checkpoint stores it, [vocab, hidden]
      const rows = Float64Array.from({ length: VOCAB * HIDDEN }, (_, i) => values[(i % HIDDEN) * VOCAB + Math.floor(i / HIDDEN)]);
      const w = g.initializer('lm_head.weight', { dtype: 'float64', dims: [VOCAB, HIDDEN], data: rows });
      const head = chunkedHeadLoss(g, hidden, w, ids, weights, true, chunking);
      g.output(head.loss, 'loss');
      g.output(head.dHidden!, 'd_hidden');
    }
  }
  return { plain, chunked };
}

async function run(g: Graph) {
  const session = await ort.InferenceSession.create(await serializeModel(g));
  const ids = Array.from({ length: ROWS * SEQ }, (_, i) => BigInt((i * 7 + 3) % VOCAB));
  const weights = Float32Array.from({ length: ROWS * SEQ }, (_, i) => (i % 3 === 0 ? 0 : 0.25 + (i % 4) / 8));
  const out = await session.run({
    hidden: toOrt(randomFeed([ROWS, SEQ, HIDDEN], 5, -3, 3)),
    input_ids: new ort.Tensor('int64', BigInt64Array.from(ids), [ROWS, SEQ]),
    loss_weights: new ort.Tensor('float32', weights, [ROWS, SEQ]),
  });
  await session.release();
  return { loss: Number(out.loss.data[0]), dHidden: Array.from(out.d_hidden.data as Float64Array), dims: out.d_hidden.dims };
}

describe('chunked loss head', () => {
  const chunkings: [string, LossChunking][] = [
    ['one chunk', {}],
    ['chunks of 3 with a partial last one', { positions: 3, maxPositions: 12 }],
    ['more chunks than positions (empty chunks)', { positions: 2, maxPositions: 20 }],
    ['a last chunk that takes the rest', { positions: 3, maxPositions: 4 }],
  ];
  for (const [name, chunking] of chunkings) {
    it(`gives the loss and hidden-state gradient of the full-logits loss: ${name}`, async () => {
      const { plain, chunked } = buildGraphs(chunking);
      const [expected, got] = [await run(plain), await run(chunked)];
      expect(got.dims).toEqual([ROWS, SEQ, HIDDEN]);
      expect(Math.abs(got.loss - expected.loss)).toBeLessThanOrEqual(1e-12 * Math.abs(expected.loss));
      const scale = Math.max(...expected.dHidden.map(Math.abs));
      expect(scale).toBeGreaterThan(0);
      got.dHidden.forEach((d, i) => expect(Math.abs(d - expected.dHidden[i])).toBeLessThanOrEqual(1e-12 * scale));
    });
  }

  it('holds logits for one chunk only: no [positions, vocab] value, and the weight read twice per chunk in its own layout', () => {
    const { chunked } = buildGraphs({ positions: 3, maxPositions: 12 });
    const readers = chunked.nodes.filter((n) => n.inputs.some((v) => v?.name === 'lm_head.weight'));
    expect(readers.map((n) => n.opType)).toEqual(Array(8).fill('Gemm')); // 4 chunks × (logits, gradient)
    expect(chunked.nodes.some((n) => n.opType === 'Transpose')).toBe(false);
    for (const node of chunked.nodes) for (const out of node.outputs) if (out.shape.includes(VOCAB)) expect(out.shape[0]).toMatch(/^chunk_\d+$/);
  });
});
