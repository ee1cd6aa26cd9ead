// Builds the (fused) decoder graph for one dtype strategy with every weight streamed from the checkpoint. The decoder's
// hooks make what the strategy changes: `linear`/`packedLinear` the projections (MatMulNBits for q4/q4f16), `embedding`
// the token lookup (GatherBlockQuantized, or a float16 table); each reads its checkpoint tensor in chunks. The few
// weights the decoder makes itself (the norms) are then pointed at chunked readers too, so no tensor is ever widened
// to float32 whole.
import type { Graph, LazyTensor, Value } from '../onnx/graph';
import * as op from '../onnx/ops';
import { buildDecoder } from '../model/decoder';
import { buildFusedDecoder, ROTARY_CACHE_NAMES, type PackedLinearContext } from '../model/fused-decoder';
import { type EmbeddingContext, type LinearContext, matMulLinear, moduleScope } from '../model/layers';
import type { ModelConfig } from '../model/config';
import type { SafetensorsCheckpoint, SafetensorsEntry } from '../model/safetensors';
import { concatenated, gatherBlockQuantizedEmbedding, matMulNBitsLinear, packedMatMulNBitsLinear } from './qnodes';
import type { DtypeStrategy } from './settings';
import { floatTensor, transposedFloatTensor, type TensorJob } from './tensors';
import { ConvertError } from './source';

/** The source tensors a conversion reads, for progress totals (one entry per read). */
export interface ConversionPlan {
  reads: SafetensorsEntry[];
}

/**
 * ORT's CPU GroupQueryAttention (with rotary) needs head_dim % 16 == 0 (every R1 distill has 128); other shapes get
 * the standard graph.
 */
export function fitsFusedGraph(headDim: number): boolean {
  return headDim % 16 === 0;
}

export function buildConvertedGraph(
  config: ModelConfig,
  checkpoint: SafetensorsCheckpoint,
  strategy: DtypeStrategy,
  job: TensorJob,
): { graph: Graph; plan: ConversionPlan; fused: boolean } {
  const plan: ConversionPlan = { reads: [] };
  const hooked = new Set<string>(); // initializers the hooks made, already reading the checkpoint
  // Run a hook's body, remembering the initializers it adds.
  const own = <T>(g: Graph, build: () => T): T => {
    const before = new Set(g.initializers.keys());
    const result = build();
    for (const name of g.initializers.keys()) if (!before.has(name)) hooked.add(name);
    return result;
  };
  const read = (w: { name: string }): SafetensorsEntry => {
    const entry = checkpoint.get(w.name);
    plan.reads.push(entry);
    return entry;
  };
  const plain = (w: { name: string }, dtype: 'float32' | 'float16') => floatTensor(read(w), dtype, job);
  const q = strategy.quantize;

  const linear = (ctx: LinearContext): Value => own(ctx.graph, () => {
    const isHead = ctx.module === 'lm_head';
    if (q && (!isHead || q.quantizeLmHead)) {
      const g = ctx.graph;
      return g.scope(moduleScope(ctx.module), () => {
        const bias = ctx.bias ? g.initializer(`${ctx.module}.bias`, plain(ctx.bias(), strategy.activation)) : undefined;
        return matMulNBitsLinear(g, ctx.x, ctx.module, read(ctx.weight()), q, job, bias);
      });
    }
    // q4 with an unquantized head: keep its weight float16 (halves the largest tensor) and run that one MatMul in fp16.
    if (q && isHead && strategy.activation === 'float32') return float16Head(ctx, transposedFloatTensor(read(ctx.weight()), 'float16', job));
    // Float projection: MatMul by Wᵀ [in, out] read straight from the checkpoint (+ bias), like the decoder's default.
    const bias = ctx.bias;
    return matMulLinear(ctx, transposedFloatTensor(read(ctx.weight()), strategy.floatWeights, job), bias && (() => plain(bias(), strategy.floatWeights)));
  });

  // q/k/v and gate/up as one MatMulNBits each (one pass over the input instead of three or two)
  const packedLinear = (ctx: PackedLinearContext): Value | undefined => {
    if (!q) return undefined;
    const g = ctx.graph;
    const name = ctx.parts.map((p) => p.module).join('+');
    return own(g, () => g.scope(ctx.name, () => {
      const weights = ctx.parts.map((p) => read(p.weight()));
      const biases = ctx.parts.every((p) => p.bias) ? ctx.parts.map((p) => plain(p.bias!(), strategy.activation)) : undefined;
      const bias = biases && g.initializer(`${name}.bias`, concatenated(biases, [biases.reduce((sum, t) => sum + t.dims[0], 0)]));
      return packedMatMulNBitsLinear(g, ctx.x, name, weights, q, job, bias);
    }));
  };

  // The token embedding: 4-bit GatherBlockQuantized when asked; otherwise a float table, stored float16 in quantized
  // models (it is the model's largest tensor), where q4 (float32 activations) then casts the rows it looked up.
  const embedding = (ctx: EmbeddingContext): Value => own(ctx.graph, () => {
    const g = ctx.graph;
    if (q?.quantizeEmbeddings) return gatherBlockQuantizedEmbedding(g, ctx.ids, ctx.name, read(ctx.weight()), q, strategy.activation, job);
    const table = g.initializer(ctx.name, plain(ctx.weight(), q ? 'float16' : strategy.floatWeights)); // [vocab, hidden]
    return op.cast(g, op.gather(g, table, ctx.ids), strategy.activation); // [batch, seq, hidden]
  });

  const fused = fitsFusedGraph(config.headDim);
  const hooks = { linear, embedding };
  const kvCache = strategy.portable ? 'gqa' : 'external';
  const { graph } = fused
    ? buildFusedDecoder(config, checkpoint, { dtype: strategy.activation, logitsDtype: strategy.activation, packedLinear, kvCache, valueLayout: strategy.valueLayout, ...hooks })
    : buildDecoder(config, checkpoint, { dtype: strategy.activation, computeDtype: 'float32', logitsDtype: strategy.activation, ...hooks });
  streamRemainingWeights(graph, checkpoint, hooked, plain);
  return { graph, plan, fused };
}

// The unquantized head of a q4 model: its float16 weight, the MatMul in fp16 between two casts.
function float16Head(ctx: LinearContext, weight: LazyTensor): Value {
  const g = ctx.graph;
  return g.scope('lm_head', () => {
    const x16 = op.cast(g, ctx.x, 'float16'); // [batch, seq, hidden]
    const w = g.initializer('lm_head.weight', weight); // [hidden, vocab]
    return op.cast(g, op.matMul(g, x16, w), 'float32'); // [batch, seq, vocab]
  });
}

/**
 * Point each weight initializer the decoder made itself (not a hook: the norms) at a chunked reader of its checkpoint
 * tensor, in the dtype the decoder chose.
 */
function streamRemainingWeights(
  graph: Graph,
  checkpoint: SafetensorsCheckpoint,
  hooked: Set<string>,
  reader: (entry: SafetensorsEntry, dtype: 'float32' | 'float16') => LazyTensor,
): void {
  for (const [name, init] of graph.initializers) {
    if (init.kind !== 'weight' || hooked.has(name)) continue;
    if (ROTARY_CACHE_NAMES.includes(name)) continue; // computed by the graph builder, not read
    if (!checkpoint.has(name)) throw new ConvertError(`Internal: graph weight "${name}" has no checkpoint tensor.`);
    const entry = checkpoint.get(name);
    const dtype = init.source.dtype;
    if (dtype !== 'float32' && dtype !== 'float16') throw new ConvertError(`Internal: weight "${name}" has dtype ${dtype}.`);
    const dims = init.source.dims;
    // Linears and the embedding never get here (the hooks make them), so every remaining weight keeps its checkpoint layout.
    const same = dims.length === entry.shape.length && dims.every((d, i) => d === entry.shape[i]);
    if (!same) throw new ConvertError(`Internal: weight "${name}" [${dims.join(', ')}] does not match the checkpoint's [${entry.shape.join(', ')}].`);
    init.source = reader(entry, dtype);
  }
}
