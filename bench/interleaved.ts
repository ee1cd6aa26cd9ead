import type * as ort from 'onnxruntime-node';

/**
 * Options for sessions whose runs a bench interleaves in one process. ONNX Runtime's workers spin for a while after
 * each run (its default, which the app keeps: one model runs at a time), and a run of another session meanwhile
 * shares the cores with them: on the 2-core development machine, K·qᵀ attention at 4,096 rows took 11.9 ms alone and
 * 22.1 ms interleaved with a second variant (`npm run bench -- xkv-attention`, 2026-12-04), so whichever side ran
 * after the other was penalised. Without spinning every side pays the same wake-ups and the ratios hold; absolute
 * times are then a little above the app's.
 */
export function interleavedOptions(options: ort.InferenceSession.SessionOptions): ort.InferenceSession.SessionOptions {
  return { ...options, extra: { ...options.extra, session: { intra_op: { allow_spinning: '0' } } } };
}
