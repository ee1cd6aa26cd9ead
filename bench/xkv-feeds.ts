// One decode step's feeds for the external-cache graph (the converter's default) at a given depth, in the layout a
// bench side holds its cache in: shared by bench/xkv-model.ts and bench/gpu-decode.ts.
import * as ort from 'onnxruntime-node';
import { XKV_NAMES } from '../electron/model/xkv-attention';

/** Rows per block when a session's graph reads its cached values as Vᵀ blocks (converter 1.3+); 0 for rows. */
export function valueBlockOf(session: ort.InferenceSession): number {
  const meta = session.inputMetadata.find((m) => m.name === XKV_NAMES.past(0, 0, 'value'));
  return meta?.isTensor && meta.shape.length === 3 ? Number(meta.shape[2]) : 0;
}

export interface Shape {
  layers: number;
  kvHeads: number;
  d: number;
  group: number;
}

/**
 * One step's feeds at `depth`, the values as Vᵀ blocks of `block` rows (converter 1.3+) or as rows (`block` 0);
 * `inputNames` (the session's) tells whether the graph takes `fused_prefill` (1.4+: one token never takes that branch).
 */
export function feedsAt(block: number, s: Shape, cache: (Float32Array | Uint16Array)[], depth: number, inputNames: readonly string[]): Record<string, ort.Tensor> {
  const rows = depth + 1; // row 0 is the masked sink
  const fedRows = block ? Math.ceil(rows / block) * block : rows; // whole blocks, the tail masked
  const bias = new Float32Array(fedRows).fill(-Infinity).fill(0, 1, rows);
  const feeds: Record<string, ort.Tensor> = {
    input_ids: new ort.Tensor('int64', BigInt64Array.from([42n]), [1, 1]),
    [XKV_NAMES.positionIds]: new ort.Tensor('int64', BigInt64Array.from([BigInt(depth)]), [1, 1]),
    [XKV_NAMES.pastBias]: new ort.Tensor('float32', bias, [1, fedRows]),
    [XKV_NAMES.causalBias]: new ort.Tensor('float32', new Float32Array(s.group), [s.group, 1, 1]),
  };
  if (inputNames.includes(XKV_NAMES.fusedPrefill)) feeds[XKV_NAMES.fusedPrefill] = new ort.Tensor('bool', Uint8Array.from([1]), [1]);
  for (let l = 0; l < s.layers; l++) {
    for (let h = 0; h < s.kvHeads; h++) {
      for (const [k, kind] of (['key', 'value'] as const).entries()) {
        const i = (l * s.kvHeads + h) * 2 + k;
        const n = fedRows * s.d;
        const data = cache[i].subarray(0, n);
        const dims = block && kind === 'value' ? [fedRows / block, s.d, block] : [fedRows, s.d];
        feeds[XKV_NAMES.past(l, h, kind)] = data instanceof Uint16Array ? new ort.Tensor('float16', data, dims) : new ort.Tensor('float32', data, dims);
      }
    }
  }
  return feeds;
}
