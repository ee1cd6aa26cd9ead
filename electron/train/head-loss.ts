/**
 * The loss at the top of a training graph: Σ_t w[t] · −log p(input_ids[t+1] | ≤ t), the last position's weight
 * ignored. Two forms with the same value:
 * - `weightedNll` on full logits [batch, seq, vocab], differentiated by the autodiff walk (full fine-tuning, where
 *   lm_head itself is trained, and graphs that keep their logits);
 * - `chunkedHeadLoss` from the final hidden states through a frozen lm_head, a chunk of positions at a time, each
 *   chunk's gradient w.r.t. its hidden states computed right there (dz = w · (softmax(z) − onehot(target)),
 *   dh = dz · Wᵀ). Logits exist for one chunk at a time, never as sequence × vocabulary, and never twice (a 151,936-
 *   entry vocabulary makes them the largest tensors of a LoRA step).
 */
import type { DType, Graph, Value } from '../onnx/graph';
import * as O from '../onnx/ops';
import { reshapeLike } from './rules/helpers';

const END = 2 ** 62; // a slice end past any size: "to the end"

/** Next-token targets [batch, seq] (int64; the last position gets a placeholder) and weights [batch, seq] (last = 0). */
function nextTokenTargets(g: Graph, inputIds: Value, lossWeights: Value): { targets: Value; weights: Value } {
  const nextIds = O.slice(g, inputIds, [1], [END], [1], ['seq - 1']); // [batch, seq-1]
  const padId = O.slice(g, inputIds, [0], [1], [1], [1]); // [batch, 1] (a placeholder target for the last position)
  const targets = O.concat(g, [nextIds, padId], 1); // [batch, seq]
  const lastZero = O.mul(g, O.slice(g, lossWeights, [-1], [END], [1], [1]), g.scalar('float32', 0)); // [batch, 1]
  const weights = O.concat(g, [O.slice(g, lossWeights, [0], [-1], [1], ['seq - 1']), lastZero], 1); // [batch, seq]
  return { targets, weights };
}

/** The loss on full logits [batch, seq, vocab] (any float type; log-softmax in float32, or float64 for float64). */
export function weightedNll(g: Graph, logits: Value, inputIds: Value, lossWeights: Value): Value {
  const { targets, weights } = nextTokenTargets(g, inputIds, lossWeights);
  const logProbs = O.logSoftmax(g, O.cast(g, logits, logits.dtype === 'float64' ? 'float64' : 'float32'), -1); // [batch, seq, vocab]
  const picked = O.squeeze(g, O.gatherElements(g, logProbs, O.unsqueeze(g, targets, [-1]), 2), [2]); // [batch, seq]
  const weighted = O.mul(g, picked, O.cast(g, weights, picked.dtype)); // [batch, seq]
  return O.neg(g, O.reduceSum(g, weighted, [0, 1], false)); // []
}

export interface LossChunking {
  /** Positions per chunk (default 128): larger is faster (fewer passes over lm_head), smaller holds less. */
  positions?: number;
  /**
   * Positions (rows × sequence) the graph is sized for (default 4096): the graph has ceil(max / positions) chunks, the
   * last one taking whatever remains, so more positions still work, with a larger last chunk.
   */
  maxPositions?: number;
}

/**
 * The int64 [1] value `offset`, computed from `after` (offset + 0 · Size(after)) so that ONNX Runtime, which orders
 * independent nodes as it likes, must finish the previous chunk before it starts this one: without it, every chunk's
 * logits may be computed before any is released, which is the unchunked peak again.
 */
function afterValue(g: Graph, after: Value | undefined, offset: number): Value {
  const constant = g.constant('int64', [1], [offset]);
  if (!after) return constant;
  return O.add(g, constant, O.mul(g, O.reshape(g, O.size(g, after), [1]), g.constant('int64', [1], [0])));
}

export interface HeadLoss {
  loss: Value; // []
  /** d loss / d hidden, [batch, seq, hidden] in the hidden states' dtype (absent when no gradient was asked for). */
  dHidden?: Value;
}

/**
 * The loss from the final hidden states [batch, seq, hidden] through a frozen lm_head weight stored [vocab, hidden]
 * (the checkpoint's own layout, so the graph's weights file needs no transposed copy of it), chunk by chunk; with `withGradient`, also its gradient w.r.t. the hidden states. Logits are computed in the hidden
 * states' dtype and cast to float32 (float64 graphs stay float64), as the decoder computes them.
 */
export function chunkedHeadLoss(
  g: Graph, hidden: Value, headWeight: Value, inputIds: Value, lossWeights: Value, withGradient: boolean, chunking: LossChunking = {},
): HeadLoss {
  const width = hidden.shape[hidden.shape.length - 1];
  if (typeof width !== 'number') throw new Error(`chunkedHeadLoss: the hidden size of ${hidden.name} must be static`);
  const lossDtype: DType = hidden.dtype === 'float64' ? 'float64' : 'float32';
  const { targets, weights } = nextTokenTargets(g, inputIds, lossWeights);
  const rows = O.reshape(g, hidden, [-1, width]); // [positions, hidden]
  const ids = O.reshape(g, targets, [-1, 1]); // [positions, 1]
  const rowWeights = O.reshape(g, O.cast(g, weights, lossDtype), [-1, 1]); // [positions, 1]
  const size = chunking.positions ?? 128;
  const count = Math.max(1, Math.ceil((chunking.maxPositions ?? 4096) / size));
  const losses: Value[] = [];
  const grads: Value[] = [];
  let previous: Value | undefined; // the last result of the chunk before
  for (let i = 0; i < count; i++) {
    g.scope(`chunk_${i}`, () => {
      const start = afterValue(g, previous, i * size);
      const end = i === count - 1 ? END : (i + 1) * size;
      const part = (x: Value): Value => O.slice(g, x, start, g.constant('int64', [1], [end]), [0], [`chunk_${i}`]);
      const [h, y, w] = [part(rows), part(ids), part(rowWeights)]; // [chunk, hidden], [chunk, 1], [chunk, 1]
      const logProbs = O.logSoftmax(g, O.cast(g, O.gemm(g, h, headWeight, { transB: true }), lossDtype), -1); // [chunk, vocab]
      losses.push(O.reduceSum(g, O.mul(g, O.gatherElements(g, logProbs, y, 1), w), [0, 1], false)); // [] (Σ w · log p)
      previous = losses[i];
      if (!withGradient) return;
      // w · (softmax − onehot(target)): softmax weighted in place, then −w added at each row's target
      const dLogits = O.scatterElements(g, O.mul(g, O.exp(g, logProbs), w), y, O.neg(g, w), 1, 'add'); // [chunk, vocab]
      grads.push(O.gemm(g, O.cast(g, dLogits, hidden.dtype), headWeight)); // [chunk, hidden]
      previous = grads[i];
    });
  }
  const loss = O.neg(g, losses.length === 1 ? losses[0] : O.sum(g, losses)); // []
  if (!withGradient) return { loss };
  return { loss, dHidden: reshapeLike(g, O.concat(g, grads, 0), hidden) };
}
