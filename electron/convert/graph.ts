// Builds the (fused) decoder graph for one dtype strategy with every weight streamed from the checkpoint:
// the `linear` hook swaps projections for MatMulNBits (q4/q4f16), and a pass over the finished graph points every
// remaining weight at a chunked reader (so no tensor is ever widened to float32 whole) and rewrites the embedding.
import type { Graph, LazyTensor, Node, Value } from '../onnx/graph';
import * as op from '../onnx/ops';
import { buildDecoder } from '../model/decoder';
import { buildFusedDecoder, ROTARY_CACHE_NAMES, type PackedLinearContext } from '../model/fused-decoder';
import { moduleScope, type LinearContext } from '../model/layers';
import type { ModelConfig } from '../model/config';
import type { SafetensorsCheckpoint, SafetensorsEntry } from '../model/safetensors';
import { concatenated, gatherBlockQuantizedEmbedding, matMulNBitsLinear, packedMatMulNBitsLinear } from './qnodes';
import type { DtypeStrategy } from './settings';
import { floatTensor, transposedFloatTensor, type TensorJob } from './tensors';
import { ConvertError } from './source';

const EMBEDDING = 'model.embed_tokens.weight';

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
  const mine = new WeakSet<LazyTensor>();
  const track = <T extends LazyTensor>(t: T, entry: SafetensorsEntry, counted = true): T => {
    mine.add(t);
    if (counted) plan.reads.push(entry);
    return t;
  };
  const entryOf = (ctx: LinearContext, which: 'weight' | 'bias'): SafetensorsEntry => {
    const w = which === 'weight' ? ctx.weight() : ctx.bias!();
    return checkpoint.get(w.name);
  };
  // Float projection: MatMul by Wᵀ [in, out] read straight from the checkpoint (+ bias), like the decoder's default.
  const floatLinear = (ctx: LinearContext, weightT: (e: SafetensorsEntry) => LazyTensor, plain: (e: SafetensorsEntry) => LazyTensor): Value => {
    const g = ctx.graph;
    return g.scope(moduleScope(ctx.module), () => {
      const w = g.initializer(`${ctx.module}.weight`, weightT(entryOf(ctx, 'weight'))); // [in, out]
      const y = op.matMul(g, ctx.x, w); // [..., out]
      return ctx.bias ? op.add(g, y, g.initializer(`${ctx.module}.bias`, plain(entryOf(ctx, 'bias')))) : y;
    });
  };

  const linear = (ctx: LinearContext): Value => {
    const q = strategy.quantize;
    const isHead = ctx.module === 'lm_head';
    if (q && (!isHead || q.quantizeLmHead)) {
      const g = ctx.graph;
      return g.scope(moduleScope(ctx.module), () => {
        const weight = entryOf(ctx, 'weight');
        const bias = ctx.bias ? g.initializer(`${ctx.module}.bias`, track(floatTensor(entryOf(ctx, 'bias'), strategy.activation, job), entryOf(ctx, 'bias'))) : undefined;
        plan.reads.push(weight);
        const before = new Set(g.initializers.keys());
        const y = matMulNBitsLinear(g, ctx.x, ctx.module, weight, q, job, bias);
        for (const [name, init] of g.initializers) if (!before.has(name)) mine.add(init.source as LazyTensor);
        return y;
      });
    }
    if (q && isHead && strategy.activation === 'float32') {
      const entry = entryOf(ctx, 'weight');
      return float16Head(ctx, track(transposedFloatTensor(entry, 'float16', job), entry));
    }
    return floatLinear(ctx, (entry) => track(transposedFloatTensor(entry, strategy.floatWeights, job), entry), (entry) => track(floatTensor(entry, strategy.floatWeights, job), entry));
  };

  // q/k/v and gate/up as one MatMulNBits each (one pass over the input instead of three or two)
  const packedLinear = (ctx: PackedLinearContext): Value | undefined => {
    const q = strategy.quantize;
    if (!q) return undefined;
    const g = ctx.graph;
    return g.scope(ctx.name, () => {
      const weights = ctx.parts.map((p) => checkpoint.get(p.weight().name));
      plan.reads.push(...weights);
      const biasEntries = ctx.parts.every((p) => p.bias) ? ctx.parts.map((p) => checkpoint.get(p.bias!().name)) : undefined;
      let bias: Value | undefined;
      if (biasEntries) {
        plan.reads.push(...biasEntries);
        const total = biasEntries.reduce((sum, e) => sum + e.shape[0], 0);
        const tensor = concatenated(biasEntries.map((e) => floatTensor(e, strategy.activation, job)), [total]);
        mine.add(tensor);
        bias = g.initializer(`${ctx.parts.map((p) => p.module).join('+')}.bias`, tensor);
      }
      const before = new Set(g.initializers.keys());
      const y = packedMatMulNBitsLinear(g, ctx.x, ctx.parts.map((p) => p.module).join('+'), weights, q, job, bias);
      for (const [name, init] of g.initializers) if (!before.has(name)) mine.add(init.source as LazyTensor);
      return y;
    });
  };

  const fused = fitsFusedGraph(config.headDim);
  const kvCache = strategy.portable ? 'gqa' : 'external';
  const { graph } = fused
    ? buildFusedDecoder(config, checkpoint, { dtype: strategy.activation, logitsDtype: strategy.activation, linear, packedLinear, kvCache })
    : buildDecoder(config, checkpoint, { dtype: strategy.activation, computeDtype: 'float32', logitsDtype: strategy.activation, linear });
  streamRemainingWeights(graph, config, checkpoint, mine, (t, e) => track(t, e), job);
  rewriteEmbedding(graph, checkpoint.get(EMBEDDING), strategy, job, (e) => plan.reads.push(e));
  return { graph, plan, fused };
}

// q4 with an unquantized head: keep its weight float16 (halves the largest tensor) and run that one MatMul in fp16.
function float16Head(ctx: LinearContext, weight: LazyTensor): Value {
  const g = ctx.graph;
  return g.scope('lm_head', () => {
    const x16 = op.cast(g, ctx.x, 'float16'); // [batch, seq, hidden]
    const w = g.initializer('lm_head.weight', weight); // [hidden, vocab]
    return op.cast(g, op.matMul(g, x16, w), 'float32'); // [batch, seq, vocab]
  });
}

/** Point each weight initializer the decoder made at a chunked reader of its checkpoint tensor. */
function streamRemainingWeights(
  graph: Graph,
  config: ModelConfig,
  checkpoint: SafetensorsCheckpoint,
  mine: WeakSet<LazyTensor>,
  track: (t: LazyTensor, e: SafetensorsEntry) => LazyTensor,
  job: TensorJob,
): void {
  for (const [name, init] of graph.initializers) {
    if (init.kind !== 'weight' || mine.has(init.source as LazyTensor)) continue;
    if (name === EMBEDDING) continue; // handled by rewriteEmbedding
    if (ROTARY_CACHE_NAMES.includes(name)) continue; // computed by the graph builder, not read
    const sourceName = name === 'lm_head.weight' && config.tieWordEmbeddings ? EMBEDDING : name;
    if (!checkpoint.has(sourceName)) throw new ConvertError(`Internal: graph weight "${name}" has no checkpoint tensor "${sourceName}".`);
    const entry = checkpoint.get(sourceName);
    const dtype = init.source.dtype;
    if (dtype !== 'float32' && dtype !== 'float16') throw new ConvertError(`Internal: weight "${name}" has dtype ${dtype}.`);
    const dims = init.source.dims;
    // Linears never get here (the hook above makes them), so every remaining weight keeps its checkpoint layout.
    const same = dims.length === entry.shape.length && dims.every((d, i) => d === entry.shape[i]);
    if (same) init.source = track(floatTensor(entry, dtype, job), entry);
    else throw new ConvertError(`Internal: weight "${name}" [${dims.join(', ')}] does not match "${sourceName}" [${entry.shape.join(', ')}].`);
  }
}

/**
 * The embedding Gather: 4-bit GatherBlockQuantized when asked; otherwise the table is stored float16 (q4 models run
 * in float32, so a Cast follows the lookup — the table is the model's largest tensor and float16 halves it).
 */
function rewriteEmbedding(graph: Graph, entry: SafetensorsEntry, strategy: DtypeStrategy, job: TensorJob, counted: (e: SafetensorsEntry) => void): void {
  const init = graph.initializers.get(EMBEDDING);
  if (!init) throw new ConvertError('Internal: the decoder made no embedding initializer.');
  const index = graph.nodes.findIndex((n) => n.opType === 'Gather' && n.inputs[0]?.name === EMBEDDING);
  const gatherNode = graph.nodes[index];
  if (!gatherNode) throw new ConvertError('Internal: no Gather reads the embedding.');
  const usedElsewhere = graph.nodes.some((n, i) => i !== index && n.inputs.some((v) => v?.name === EMBEDDING));
  const q = strategy.quantize;
  if (!q || (!q.quantizeEmbeddings && strategy.activation === 'float16')) {
    init.source = floatTensor(entry, strategy.floatWeights, job);
    counted(entry);
    return;
  }
  if (usedElsewhere) throw new ConvertError('Internal: the embedding is read by more than its Gather; cannot rewrite it.');
  const ids = gatherNode.inputs[1]!;
  const out = gatherNode.outputs[0]; // [batch, seq, hidden] in the activation dtype; consumers keep reading it
  counted(entry);
  if (!q.quantizeEmbeddings) {
    // Same Gather on a float16 table, then Cast into the original (float32) output value.
    init.source = floatTensor(entry, 'float16', job);
    init.value.dtype = 'float16';
    const half: Value = { name: `${out.name}_fp16`, dtype: 'float16', shape: [...out.shape] };
    gatherNode.outputs[0] = half;
    const castNode: Node = { opType: 'Cast', domain: '', name: `${gatherNode.name}/Cast`, inputs: [half], outputs: [out], attrs: { to: 1 } };
    graph.nodes.splice(index + 1, 0, castNode);
    return;
  }
  graph.initializers.delete(EMBEDDING);
  const replacement = spliceNodes(graph, () =>
    graph.scope('model', () => graph.scope('embed_tokens', () => gatherBlockQuantizedEmbedding(graph, ids, EMBEDDING, entry, q, strategy.activation, job))),
  );
  // The new node writes the original output value, so nothing downstream changes.
  replacement[replacement.length - 1].outputs[0] = out;
  graph.nodes.splice(index, 1, ...replacement);
}

/** Run `build` and take the nodes it appended off the end of the graph, to be spliced in elsewhere. */
function spliceNodes(graph: Graph, build: () => Value): Node[] {
  const before = graph.nodes.length;
  build();
  return graph.nodes.splice(before, graph.nodes.length - before);
}
