import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { writeTinyCheckpoint } from '../testing/factory';
import { convertCheckpoint } from './convert';
import { f16BitsToF32 } from './fp16';
const root = mkdtempSync(join(tmpdir(), 'h5-scratch-'));
for (const arch of ['llama'] as const) {
const hf = join(root, arch);
writeTinyCheckpoint(hf, { arch, seed: 3 });
const T = 300;
async function logits(file: string, f16: boolean) {
  const s = await ort.InferenceSession.create(file);
  const ids = BigInt64Array.from({ length: T }, (_, i) => BigInt((i * 7919) % 128000));
  const feeds: Record<string, ort.Tensor> = { input_ids: new ort.Tensor('int64', ids, [1, T]), attention_mask: new ort.Tensor('int64', new BigInt64Array(T).fill(1n), [1, T]), position_ids: new ort.Tensor('int64', BigInt64Array.from({ length: T }, (_, i) => BigInt(i)), [1, T]) };
  for (const n of s.inputNames) if (n.startsWith('past')) feeds[n] = new ort.Tensor(f16 ? 'float16' : 'float32', f16 ? new Uint16Array(0) : new Float32Array(0), [1, 2, 0, 16]);
  const out = (await s.run(feeds)).logits;
  return out.type === 'float16' ? Float32Array.from(out.data as Uint16Array, f16BitsToF32) : (out.data as Float32Array);
}
const ref = await logits((await convertCheckpoint(hf, join(root, arch + 'fp32'), { dtype: 'fp32' })).modelFile, false);
for (const dtype of ['q4']) {
  for (const extra of [{accuracyLevel: 0}, { quantizeLmHead: false }, {blockSize: 16}, {symmetric: false}]) {
    if (dtype === 'fp16' && Object.keys(extra).length) continue;
    const r = await convertCheckpoint(hf, join(root, arch + dtype + JSON.stringify(extra).replace(/[^a-z0-9]/gi, "_")), { dtype, ...extra });
    const got = await logits(r.modelFile, dtype.endsWith('16'));
    const V = got.length / T;
    let maxAbs = 0, agree = 0, minCos = 1;
    for (let t = 0; t < T; t++) {
      let dot = 0, na = 0, nb = 0, ia = 0, ib = 0;
      for (let v = 0; v < V; v++) { const a = ref[t * V + v], b = got[t * V + v]; maxAbs = Math.max(maxAbs, Math.abs(a - b)); dot += a * b; na += a * a; nb += b * b; if (a > ref[t * V + ia]) ia = v; if (b > got[t * V + ib]) ib = v; }
      minCos = Math.min(minCos, dot / Math.sqrt(na * nb)); if (ia === ib) agree++;
    }
    let refMax = 0; for (const x of ref) refMax = Math.max(refMax, Math.abs(x));
    console.log(arch, dtype, JSON.stringify(extra), { maxAbs: maxAbs.toFixed(4), refMax: refMax.toFixed(2), minCos: minCos.toFixed(5), top1: agree / T });
  }
}
}
