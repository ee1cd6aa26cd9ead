import { mkdtempSync, copyFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { writeTinyCheckpoint } from '../testing/factory';
import { SafetensorsCheckpoint, writeSafetensors } from '../model/safetensors';
import { convertCheckpoint } from './convert';
import { quantizeMatMulNBits, dequantizeMatMulNBits } from './quantize';
import { isLinearWeight } from './settings';
const root = mkdtempSync(join(tmpdir(), 'h5-scratch-'));
const hf = join(root, 'hf');
writeTinyCheckpoint(hf, { arch: 'llama', seed: 3, layers: 1 });
const dq = join(root, 'dq');
const ck = SafetensorsCheckpoint.open(hf);
const tensors: Record<string, any> = {};
for (const name of ck.names()) {
  const e = ck.get(name);
  let data = e.readFloat32();
  if (isLinearWeight(name)) data = dequantizeMatMulNBits(quantizeMatMulNBits(data, e.shape[0], e.shape[1]));
  tensors[name] = { dtype: 'F32', shape: e.shape, data };
}
const { mkdirSync } = await import('node:fs');
mkdirSync(dq);
for (const f of ['config.json', 'tokenizer.json', 'tokenizer_config.json', 'generation_config.json']) copyFileSync(join(hf, f), join(dq, f));
writeSafetensors(join(dq, 'model.safetensors'), tensors);
const T = 50;
async function logits(file: string, opt: any = {}) {
  const s = await ort.InferenceSession.create(file, opt);
  const ids = BigInt64Array.from({ length: T }, (_, i) => BigInt((i * 7919) % 128000));
  const feeds: Record<string, ort.Tensor> = { input_ids: new ort.Tensor('int64', ids, [1, T]), attention_mask: new ort.Tensor('int64', new BigInt64Array(T).fill(1n), [1, T]), position_ids: new ort.Tensor('int64', BigInt64Array.from({ length: T }, (_, i) => BigInt(i)), [1, T]) };
  for (const n of s.inputNames) if (n.startsWith('past')) feeds[n] = new ort.Tensor('float32', new Float32Array(0), [1, 2, 0, 16]);
  const o = await s.run(feeds); (globalThis as any).last = o; console.log(Object.keys(o)); return o['logits'].data as Float32Array;
}
const a = await logits((await convertCheckpoint(dq, join(root, 'dq32'), { dtype: 'fp32' })).modelFile);
const b = await logits((await convertCheckpoint(hf, join(root, 'q4'), { dtype: 'q4', accuracyLevel: 0, quantizeLmHead: true })).modelFile);
const d = await logits(join(root, 'q4', 'onnx', 'model_q4.onnx'), { graphOptimizationLevel: 'disabled' });
const e2 = await logits(join(root, 'q4', 'onnx', 'model_q4.onnx'), { graphOptimizationLevel: 'basic' });
const c = await logits((await convertCheckpoint(hf, join(root, 'f32'), { dtype: 'fp32' })).modelFile);
let m = 0, m2 = 0; for (let i = 0; i < a.length; i++) { m = Math.max(m, Math.abs(a[i] - b[i])); m2 = Math.max(m2, Math.abs(a[i] - c[i])); }
let m3 = 0, m4 = 0; for (let i = 0; i < a.length; i++) { m3 = Math.max(m3, Math.abs(a[i] - d[i])); m4 = Math.max(m4, Math.abs(a[i] - e2[i])); }
console.log('disabled', m3, 'basic', m4);
console.log('dequant-fp32 vs q4 maxabs', m, ' dequant-fp32 vs fp32', m2);
