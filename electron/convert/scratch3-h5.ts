import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { writeTinyCheckpoint } from '../testing/factory';
import { SafetensorsCheckpoint } from '../model/safetensors';
import { Graph } from '../onnx/graph';
import { writeModel } from '../onnx/write';
import { matMulNBitsLinear } from './qnodes';
import { dequantizeMatMulNBits, quantizeMatMulNBits } from './quantize';
const root = mkdtempSync(join(tmpdir(), 'h5-scratch-'));
const hf = join(root, 'hf');
writeTinyCheckpoint(hf, { arch: 'llama', seed: 3, layers: 1 });
const ck = SafetensorsCheckpoint.open(hf);
for (const name of ['model.layers.0.self_attn.q_proj.weight', 'model.layers.0.mlp.down_proj.weight', 'lm_head.weight']) {
  const e = ck.get(name);
  const [N, K] = e.shape;
  const g = new Graph();
  const x = g.input('x', 'float32', ['b', 's', K]);
  const y = matMulNBitsLinear(g, x, 'm', e, { blockSize: 32, symmetric: true, accuracyLevel: 0 }, { counts: { overflowed: 0, flushedToZero: 0 } });
  g.output(y, 'y');
  await writeModel(g, join(root, 'm.onnx'));
  const s = await ort.InferenceSession.create(join(root, 'm.onnx'));
  const S = 5;
  const xs = Float32Array.from({ length: S * K }, (_, i) => Math.sin(i));
  const out = (await s.run({ x: new ort.Tensor('float32', xs, [1, S, K]) })).y.data as Float32Array;
  const w = dequantizeMatMulNBits(quantizeMatMulNBits(e.readFloat32(), N, K));
  let m = 0, mx = 0;
  for (let t = 0; t < S; t++) for (let n = 0; n < N; n++) { let acc = 0; for (let k = 0; k < K; k++) acc += xs[t * K + k] * w[n * K + k]; m = Math.max(m, Math.abs(acc - out[t * N + n])); mx = Math.max(mx, Math.abs(acc)); }
  console.log(name, N, K, 'maxdiff', m, 'max', mx);
}
