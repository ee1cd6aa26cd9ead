import { mkdtempSync, mkdirSync, copyFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { writeTinyCheckpoint } from '../testing/factory';
import { SafetensorsCheckpoint, writeSafetensors } from '../model/safetensors';
import { loadModelConfig } from '../model/config';
import { writeModel } from '../onnx/write';
import { buildConvertedGraph } from './graph';
import { resolveStrategy, isLinearWeight } from './settings';
import { quantizeMatMulNBits, dequantizeMatMulNBits } from './quantize';
const root = mkdtempSync(join(tmpdir(), 'h5-scratch-'));
const hf = join(root, 'hf');
writeTinyCheckpoint(hf, { arch: 'llama', seed: 3, layers: 1 });
const dq = join(root, 'dq'); mkdirSync(dq);
const ck0 = SafetensorsCheckpoint.open(hf);
const tensors: Record<string, any> = {};
for (const name of ck0.names()) { const e = ck0.get(name); let data = e.readFloat32(); if (isLinearWeight(name)) data = dequantizeMatMulNBits(quantizeMatMulNBits(data, e.shape[0], e.shape[1])); tensors[name] = { dtype: 'F32', shape: e.shape, data }; }
writeSafetensors(join(dq, 'model.safetensors'), tensors);
for (const f of ['config.json']) copyFileSync(join(hf, f), join(dq, f));
const results: Record<string, Record<string, Float32Array>> = {};
for (const [label, dir, dtype] of [['q4', hf, 'q4'], ['dq', dq, 'fp32']] as const) {
  const { graph } = buildConvertedGraph(loadModelConfig(dir), SafetensorsCheckpoint.open(dir), resolveStrategy(dtype, dtype === 'q4' ? { accuracyLevel: 0 } : {}), { counts: { overflowed: 0, flushedToZero: 0 } });
  const picks: Record<string, string> = {};
  for (const n of graph.nodes) {
    const m = n.name.match(/(q_proj|k_proj|v_proj|o_proj|gate_proj|up_proj|down_proj|sdpa\/Reshape_1|sdpa\/Softmax|input_layernorm\/Mul_2)/);
    if (m && !n.name.includes('/Add')) { picks[m[1]] = n.outputs[0].name; }
  }
  for (const [k, v] of Object.entries(picks)) { const val = graph.nodes.flatMap((n) => n.outputs).find((o) => o.name === v)!; graph.output(val, 'dbg_' + k.replace('/', '_')); }
  await writeModel(graph, join(root, label + '.onnx'));
  const s = await ort.InferenceSession.create(join(root, label + '.onnx'));
  const T = 7;
  const feeds: Record<string, ort.Tensor> = { input_ids: new ort.Tensor('int64', BigInt64Array.from({ length: T }, (_, i) => BigInt(i * 1000 + 5)), [1, T]), attention_mask: new ort.Tensor('int64', new BigInt64Array(T).fill(1n), [1, T]), position_ids: new ort.Tensor('int64', BigInt64Array.from({ length: T }, (_, i) => BigInt(i)), [1, T]) };
  for (const n of s.inputNames) if (n.startsWith('past')) feeds[n] = new ort.Tensor('float32', new Float32Array(0), [1, 2, 0, 16]);
  const o = await s.run(feeds);
  results[label] = Object.fromEntries(Object.entries(o).map(([k, v]) => [k, v.data as Float32Array]));
}
for (const k of Object.keys(results.q4)) { const a = results.q4[k], b = results.dq[k]; let m = 0; for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i])); console.log(k, a.length, b?.length, m); }
const x = results.q4['dbg_input_layernorm_Mul_2'];
for (const [mod, N] of [['q_proj', 64], ['k_proj', 32]] as const) {
  const e = ck0.get(`model.layers.0.self_attn.${mod}.weight`);
  const w = dequantizeMatMulNBits(quantizeMatMulNBits(e.readFloat32(), N, 64));
  const manual = new Float32Array(7 * N);
  for (let t = 0; t < 7; t++) for (let n = 0; n < N; n++) { let acc = 0; for (let k = 0; k < 64; k++) acc += x[t * 64 + k] * w[n * 64 + k]; manual[t * N + n] = acc; }
  for (const label of ['q4', 'dq']) { const a = results[label]['dbg_' + mod]; let m = 0; for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - manual[i])); console.log(mod, label, 'vs manual', m); }
}
