/** Checks a graph's static shapes against the shapes ORT computes at run time (tests of the op emitters). */
import * as ort from 'onnxruntime-node';
import type { Dim, Graph } from '../onnx/graph';
import { serializeModel } from '../onnx/write';

/** Evaluate a static dim ('seq', 'past_seq + seq', 'batch * seq', 4) under concrete symbol sizes. */
export function resolveDim(dim: Dim, sizes: Record<string, number>): number {
  if (typeof dim === 'number') return dim;
  const expression = dim.replace(/[A-Za-z_][A-Za-z_0-9]*/g, (name) => {
    if (!(name in sizes)) throw new Error(`unresolved symbol ${name} in "${dim}"`);
    return String(sizes[name]);
  });
  if (!/^[0-9+*() -]+$/.test(expression)) throw new Error(`bad dim expression ${dim}`);
  return Function(`return (${expression});`)() as number;
}

/**
 * Runs `graph` with every node output made a graph output and returns the values whose declared static shape (dims
 * resolved with `sizes`) differs from the run-time one, plus how many values were compared. Modifies `graph`.
 */
export async function staticShapeMismatches(graph: Graph, feeds: Record<string, ort.Tensor>, sizes: Record<string, number>) {
  const outputNames = new Set(graph.outputs.map((o) => o.name));
  const intermediates = graph.nodes.flatMap((n) => n.outputs).filter((v) => !outputNames.has(v.name));
  graph.outputs.push(...intermediates);
  const session = await ort.InferenceSession.create(await serializeModel(graph), { graphOptimizationLevel: 'disabled' });
  try {
    const out = await session.run(feeds);
    const mismatches = graph.outputs
      .map((v) => ({ name: v.name, declared: v.shape.map((d) => resolveDim(d, sizes)), actual: [...(out[v.name] as ort.Tensor).dims] }))
      .filter((m) => JSON.stringify(m.declared) !== JSON.stringify(m.actual));
    return { mismatches, compared: graph.outputs.length };
  } finally {
    await session.release();
  }
}
