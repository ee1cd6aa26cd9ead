import type { Graph, Node, Value } from '../../onnx/graph';

export interface GradContext {
  graph: Graph;
  node: Node;
  /** Gradient of the loss w.r.t. each output of the node (undefined: nothing flows back through that output). */
  dOut: (Value | undefined)[];
  /** needs[i]: the walk wants the gradient of input i (it lies on a path from a trained parameter). */
  needs: boolean[];
}

/** Returns the gradient of each input (undefined where not needed or not differentiable). */
export type GradRule = (ctx: GradContext) => (Value | undefined)[];

/** A constant input's values as numbers (Slice starts, Reduce axes…), or an error naming the node. */
export function constantInts(ctx: GradContext, index: number): number[] | undefined {
  const value = ctx.node.inputs[index];
  if (!value) return undefined;
  const tensor = ctx.graph.constantData(value);
  if (!tensor) {
    throw new Error(`gradient of '${ctx.node.opType}' (node ${ctx.node.name}) needs input ${index} ('${value.name}') to be a constant`);
  }
  return Array.from(tensor.data as ArrayLike<number | bigint>, Number);
}

export function attrInt(ctx: GradContext, name: string, fallback: number): number {
  const value = ctx.node.attrs[name];
  return typeof value === 'number' ? value : fallback;
}

export function attrInts(ctx: GradContext, name: string): number[] | undefined {
  const value = ctx.node.attrs[name];
  return Array.isArray(value) ? (value as number[]) : undefined;
}

export const inputAt = (ctx: GradContext, i: number): Value => {
  const value = ctx.node.inputs[i];
  if (!value) throw new Error(`node ${ctx.node.name} has no input ${i}`);
  return value;
};
