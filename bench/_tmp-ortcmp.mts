import { randomFillSync } from 'node:crypto';
import { Graph, makeTensor, type Value } from '../electron/onnx/graph';
import * as op from '../electron/onnx/ops';
import { writeModel } from '../electron/onnx/write';
import { R1_QWEN_1_5B } from './synth-checkpoint';
function mm(g: Graph, x: Value, K: number, N: number, blockSize: number): Value {
  const kBlocks = Math.ceil(K / blockSize);
  const packed = new Uint8Array(N * kBlocks * (blockSize / 2)); randomFillSync(packed);
  const scales = new Float32Array(N * kBlocks).fill(0.01);
  const B = g.initializer(`w${g.initializers.size}`, makeTensor('uint8', [N, kBlocks, blockSize / 2], packed));
  const s = g.initializer(`s${g.initializers.size}`, makeTensor('float32', [N * kBlocks], scales));
  return g.node('MatMulNBits', [x, B, s], [{ dtype: 'float32', shape: [1, 1, N] }], { K, N, bits: 4, block_size: blockSize, accuracy_level: 4 }, { domain: 'com.microsoft' })[0];
}
const { hidden, intermediate, heads, kvHeads, layers, vocabSize } = R1_QWEN_1_5B;
const kv = (hidden / heads) * kvHeads;
for (const b of [32]) {
  const g = new Graph();
  let h = g.input('x', 'float32', [1, 1, hidden]);
  const cut = (v: Value, n: number) => op.slice(g, v, [0], [n], [-1]);
  for (let l = 0; l < layers; l++) {
    const qkv = mm(g, h, hidden, hidden + 2 * kv, b);
    const o = mm(g, cut(qkv, hidden), hidden, hidden, b);
    const gateUp = mm(g, o, hidden, 2 * intermediate, b);
    h = mm(g, cut(gateUp, intermediate), intermediate, hidden, b);
  }
  g.output(mm(g, h, hidden, vocabSize, b), 'logits');
  await writeModel(g, `/tmp/ortcmp-step-${b}.onnx`, {});
}
