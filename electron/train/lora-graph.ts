/**
 * Training graphs for a decoder: LoRA branches through the decoder's `linear` hook (or every weight trainable for
 * full fine-tuning), the weighted token-NLL loss, and the backward pass appended by autodiff.
 *
 * I/O: input_ids, attention_mask (segment ids: packed records never see each other), position_ids — int64
 * [batch, seq]; loss_weights — float32 [batch, seq], the weight of predicting token t+1 at position t (the last
 * position is ignored); one input per trained tensor (LoRA: PEFT key, [r, in] / [out, r]).
 * Outputs: `loss` = Σ loss_weights · NLL (no normalisation inside) and `grad:<name>` per trained tensor.
 * With `kvCache`, the same model as a decoding graph instead (sample answers and evaluation): the decoder's KV-cache
 * I/O (past_key_values.{i}.* → present.{i}.*, attention_mask of 1s and 0s), `logits`, the trained tensors still as
 * inputs, and no loss.
 */
import type { DType, Graph, TensorSource, Value } from '../onnx/graph';
import * as O from '../onnx/ops';
import type { ModelConfig } from '../model/config';
import { buildDecoder } from '../model/decoder';
import { defaultLinear, EMBEDDING_WEIGHT, type LinearContext, moduleScope } from '../model/layers';
import { lazyWeight, type WeightSource } from '../model/weights';
import { type LoraSettings, loraScaling, moduleName, peftKey } from './adapter';
import { appendBackward, appendBackwardFrom } from './autodiff';
import { chunkedHeadLoss, type LossChunking, weightedNll } from './head-loss';
import { q4Linear, type Q4BaseSettings } from './qlora';

export interface TrainingGraphOptions {
  /** float32 (default), float16 frozen base (mixed precision: LoRA and loss in float32), float64 for FD checks. */
  dtype?: 'float32' | 'float16' | 'float64';
  /** LoRA settings; omit with `full: true` for full fine-tuning. */
  lora?: LoraSettings;
  /** Train every weight (they become graph inputs named as in the checkpoint, linears stored [in, out]). */
  full?: boolean;
  /** Only the forward (loss), no gradients: evaluation graphs and the B≠0 equality check. */
  forwardOnly?: boolean;
  /** QLoRA: frozen `*_proj` weights stored 4-bit (MatMulNBits); needs dtype float32. */
  quantizedBase?: Q4BaseSettings;
  /** Keep the decoder's `logits` output next to the loss (comparing logits with another model); training graphs drop it. */
  keepLogits?: boolean;
  /** How the loss walks the positions when lm_head is frozen (LoRA): chunk size and the positions a step holds. */
  lossChunking?: LossChunking;
  /**
   * A forward-only decoding graph with a growing KV cache (transformers.js layout) instead of a loss graph: decoding
   * then runs each new token once instead of the whole sequence again.
   */
  kvCache?: boolean;
}

export interface TrainableTensor {
  name: string; // graph input name (PEFT key for LoRA)
  shape: number[];
  dtype: DType;
  module?: string; // LoRA: 'model.layers.0.self_attn.q_proj'
  which?: 'A' | 'B';
}

export interface TrainingGraph {
  graph: Graph;
  trainables: TrainableTensor[];
  /** Absent in a decoding graph (kvCache). */
  loss?: Value;
  /** LoRA scaling actually used (alpha/r or alpha/√r). */
  scaling: number;
  /** Full fine-tuning: where each trained weight's starting value comes from (linears laid out [in, out]). */
  initial: Map<string, TensorSource>;
}

export function buildTrainingGraph(config: ModelConfig, weights: WeightSource, options: TrainingGraphOptions): TrainingGraph {
  if (!options.lora && !options.full) throw new Error('buildTrainingGraph: pass LoRA settings or full: true');
  const dtype = options.dtype ?? 'float32';
  const paramDtype: DType = dtype === 'float64' ? 'float64' : 'float32';
  const trainables: TrainableTensor[] = [];
  const params: Value[] = [];
  const scaling = options.lora ? loraScaling(options.lora) : 1;
  if (options.full && dtype === 'float16') throw new Error('full fine-tuning needs float32 (or float64) weights, not float16');
  if (options.quantizedBase && (options.full || dtype !== 'float32')) throw new Error('a 4-bit frozen base needs LoRA with dtype float32');
  const linear = options.lora
    ? (ctx: LinearContext) => loraLinear(ctx, options.lora!, scaling, paramDtype, (t, v) => { trainables.push(t); params.push(v); }, options.quantizedBase)
    : config.tieWordEmbeddings ? tiedHead : undefined;
  const kvCache = options.kvCache ?? false;
  const decoder = buildDecoder(config, weights, {
    dtype, computeDtype: dtype === 'float64' ? 'float64' : 'float32', kvCache, maskMode: kvCache ? 'padding' : 'segments', linear,
  });
  const g = decoder.graph;
  const initial = new Map<string, TensorSource>();
  if (options.full) {
    for (const p of promoteWeightsToInputs(g)) {
      trainables.push(p.tensor);
      params.push(p.value);
      initial.set(p.tensor.name, p.source);
    }
  }
  if (kvCache) {
    g.prune();
    return { graph: g, trainables, scaling, initial }; // the decoder's own outputs: logits and the presents
  }
  const frozenHead = options.keepLogits || options.full ? undefined : frozenHeadWeight(g, decoder.logits, decoder.hidden);
  const head = frozenHead && headRows(g, config, weights, frozenHead);
  if (!options.keepLogits) detachLogitsOutput(g, decoder.logits);
  const lossWeights = g.input('loss_weights', 'float32', ['batch', 'seq']);
  const withGradient = !options.forwardOnly;
  let loss: Value;
  if (head) {
    // lm_head is frozen: the loss head computes the gradient w.r.t. the hidden states itself, chunk by chunk
    const headLoss = g.scope('loss', () => chunkedHeadLoss(g, decoder.hidden, head, decoder.inputIds, lossWeights, withGradient, options.lossChunking));
    loss = headLoss.loss;
    const grads = headLoss.dHidden && appendBackwardFrom(g, params, [{ value: decoder.hidden, grad: headLoss.dHidden }]);
    outputLossAndGradients(g, loss, trainables, grads);
  } else {
    const logits = options.keepLogits ? decoder.logits : g.producer(decoder.logits)!.inputs[0]!; // [batch, seq, vocab]
    loss = g.scope('loss', () => weightedNll(g, logits, decoder.inputIds, lossWeights));
    outputLossAndGradients(g, loss, trainables, withGradient ? appendBackward(g, params, loss) : undefined);
  }
  g.prune(); // the logits Identity, and the full-vocabulary logits a chunked loss head replaces
  return { graph: g, trainables, loss, scaling, initial };
}

/** y = base(x) + scaling · (x·Aᵀ)·Bᵀ on target modules, computed in the parameter dtype. */
function loraLinear(
  ctx: LinearContext, lora: LoraSettings, scaling: number, paramDtype: DType,
  register: (t: TrainableTensor, v: Value) => void, quantizedBase?: Q4BaseSettings,
): Value {
  const base = quantizedBase ? q4Linear(ctx, quantizedBase) : defaultLinear(ctx); // [..., out]
  if (!(lora.targets as string[]).includes(moduleName(ctx.module))) return base;
  const g = ctx.graph;
  return g.scope(`${moduleScope(ctx.module)}_lora`, () => {
    const r = lora.rank;
    const aName = peftKey(ctx.module, 'A');
    const bName = peftKey(ctx.module, 'B');
    const a = g.input(aName, paramDtype, [r, ctx.inFeatures]); // [r, in]
    const b = g.input(bName, paramDtype, [ctx.outFeatures, r]); // [out, r]
    register({ name: aName, shape: [r, ctx.inFeatures], dtype: paramDtype, module: ctx.module, which: 'A' }, a);
    register({ name: bName, shape: [ctx.outFeatures, r], dtype: paramDtype, module: ctx.module, which: 'B' }, b);
    const x = O.cast(g, ctx.x, paramDtype); // [..., in]
    const down = O.matMul(g, x, O.transpose(g, a, [1, 0])); // [..., r]
    const up = O.matMul(g, down, O.transpose(g, b, [1, 0])); // [..., out]
    const delta = O.cast(g, O.mul(g, up, g.scalar(paramDtype, scaling)), base.dtype);
    return O.add(g, base, delta);
  });
}

/** Tied embeddings: lm_head multiplies by the embedding matrix itself, so full fine-tuning keeps them one tensor. */
function tiedHead(ctx: LinearContext): Value {
  if (ctx.module !== 'lm_head') return defaultLinear(ctx);
  const g = ctx.graph;
  const embeddings = g.initializers.get('model.embed_tokens.weight')?.value; // [vocab, hidden]
  if (!embeddings) return defaultLinear(ctx);
  return g.scope('lm_head', () => O.matMul(g, ctx.x, O.transpose(g, embeddings, [1, 0]))); // [..., vocab]
}

function outputLossAndGradients(g: Graph, loss: Value, trainables: TrainableTensor[], grads: Map<string, Value> | undefined): void {
  g.output(loss, 'loss');
  if (grads) for (const t of trainables) g.output(grads.get(t.name)!, `grad:${t.name}`);
}

/** The decoder marks its logits as the graph output 'logits'; a training graph outputs only loss and gradients. */
function detachLogitsOutput(g: Graph, logits: Value): void {
  const outputIndex = g.outputs.indexOf(logits);
  if (outputIndex >= 0) g.outputs.splice(outputIndex, 1);
}

/** lm_head's weight [hidden, vocab] when the logits are a plain MatMul of the hidden states by a frozen weight. */
function frozenHeadWeight(g: Graph, logits: Value, hidden: Value): Value | undefined {
  let node = g.producer(logits);
  if (node?.opType === 'Identity') node = g.producer(node.inputs[0]!);
  if (node?.opType === 'Cast') node = g.producer(node.inputs[0]!);
  if (node?.opType !== 'MatMul' || node.inputs[0]?.name !== hidden.name) return undefined;
  const weight = node.inputs[1]!;
  return g.initializers.get(weight.name)?.kind === 'weight' ? weight : undefined;
}

/**
 * lm_head as the checkpoint stores it, [vocab, hidden], for the chunked loss head: a tied model's embedding table
 * itself, otherwise the checkpoint's lm_head read untransposed. The transposed [hidden, vocab] copy the decoder built
 * is pruned with the logits; this one streams to the weights file block by block (lazyWeight), where the transposed
 * one had to be built whole (933 MB for R1-Distill-Qwen-1.5B in float32) and stayed resident until V8 collected it.
 */
function headRows(g: Graph, config: ModelConfig, weights: WeightSource, head: Value): Value {
  const table = g.initializers.get(EMBEDDING_WEIGHT)?.value; // [vocab, hidden]
  if (config.tieWordEmbeddings && table?.dtype === head.dtype) return table;
  const name = config.tieWordEmbeddings ? EMBEDDING_WEIGHT : 'lm_head.weight';
  return g.initializer(`${name}.rows`, lazyWeight(weights.get(name), head.dtype)); // [vocab, hidden]
}

/** Full fine-tuning: every weight initializer becomes a graph input of the same name (and a trained tensor). */
function promoteWeightsToInputs(g: Graph): { tensor: TrainableTensor; value: Value; source: TensorSource }[] {
  const promoted: { tensor: TrainableTensor; value: Value; source: TensorSource }[] = [];
  for (const [name, init] of [...g.initializers]) {
    if (init.kind !== 'weight') continue;
    g.initializers.delete(name);
    g.inputs.push(init.value);
    promoted.push({ tensor: { name, shape: init.source.dims, dtype: init.value.dtype }, value: init.value, source: init.source });
  }
  return promoted;
}
