/**
 * Reverse-mode autodiff over the graph IR: appends the backward graph for a scalar loss, computing gradients of the
 * trained parameters only. Only nodes on a path from a trained parameter to the loss are visited, so frozen
 * weights cost nothing beyond the forward pass.
 */
import type { Graph, Node, Value } from '../onnx/graph';
import { isFloat, op, zerosLike } from './emit';
import { gradRules } from './rules';

export interface BackwardOptions {
  /** Name scope of the backward nodes (default 'backward'). */
  scope?: string;
}

/** Appends the backward pass; returns parameter name → gradient value (same dtype and shape as the parameter). */
export function appendBackward(graph: Graph, params: Value[], loss: Value, options: BackwardOptions = {}): Map<string, Value> {
  if (loss.shape.length !== 0 && !loss.shape.every((d) => d === 1)) {
    throw new Error(`the loss '${loss.name}' must be a scalar, but its shape is [${loss.shape.join(', ')}]`);
  }
  const path = nodesOnPath(graph, params, loss);
  return graph.scope(options.scope ?? 'backward', () => {
    const grads = new Map<string, Value[]>();
    grads.set(loss.name, [graph.constant(loss.dtype, loss.shape.map(Number), Array(shapeSize(loss)).fill(1))]);
    for (const node of [...path.nodes].reverse()) backpropNode(graph, node, grads, path.differentiable);
    const result = new Map<string, Value>();
    for (const p of params) {
      const contributions = grads.get(p.name);
      result.set(p.name, contributions ? accumulate(graph, contributions, p) : zerosOf(graph, p));
    }
    return result;
  });
}

const shapeSize = (v: Value): number => v.shape.reduce<number>((a, d) => a * Number(d), 1);

interface Path {
  nodes: Node[]; // in forward order
  differentiable: Set<string>; // values that depend on a parameter AND reach the loss
}

/** Nodes whose inputs depend on a trained parameter and whose outputs reach the loss. */
function nodesOnPath(graph: Graph, params: Value[], loss: Value): Path {
  const fromParams = new Set(params.map((p) => p.name));
  for (const node of graph.nodes) {
    if (node.inputs.some((x) => x && fromParams.has(x.name))) {
      for (const out of node.outputs) if (isFloat(out.dtype)) fromParams.add(out.name);
    }
  }
  const toLoss = new Set([loss.name]);
  const nodes: Node[] = [];
  for (const node of [...graph.nodes].reverse()) {
    if (!node.outputs.some((o) => toLoss.has(o.name) && fromParams.has(o.name))) continue;
    nodes.push(node);
    for (const x of node.inputs) if (x) toLoss.add(x.name);
  }
  const differentiable = new Set([...fromParams].filter((name) => toLoss.has(name)));
  return { nodes: nodes.reverse(), differentiable };
}

function backpropNode(graph: Graph, node: Node, grads: Map<string, Value[]>, differentiable: Set<string>): void {
  const dOut = node.outputs.map((out) => {
    const contributions = grads.get(out.name);
    return contributions ? accumulate(graph, contributions, out) : undefined;
  });
  if (dOut.every((d) => d === undefined)) return;
  const rule = gradRules[node.opType];
  if (!rule) {
    throw new Error(`no gradient rule for op '${node.opType}' (node ${node.name}): it lies between a trained parameter and the loss`);
  }
  const needs = node.inputs.map((x) => !!x && differentiable.has(x.name) && isFloat(x.dtype));
  const inputGrads = rule({ graph, node, dOut, needs });
  node.inputs.forEach((x, i) => {
    const g = inputGrads[i];
    if (!x || !needs[i] || !g) return;
    const list = grads.get(x.name) ?? [];
    list.push(g);
    grads.set(x.name, list);
  });
}

/** Several contributions to one value's gradient are summed (a value used twice gets both). */
function accumulate(graph: Graph, contributions: Value[], like: Value): Value {
  if (contributions.length === 1) return contributions[0];
  return op(graph, 'Sum', contributions, like.dtype, like.shape);
}

function zerosOf(graph: Graph, p: Value): Value {
  return zerosLike(graph, p);
}
