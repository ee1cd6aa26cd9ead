/**
 * Reverse-mode autodiff over the graph IR: appends the backward graph for a scalar loss, computing gradients of the
 * trained parameters only. Only nodes on a path from a trained parameter to the loss are visited, so frozen
 * weights cost nothing beyond the forward pass.
 */
import type { Graph, Node, Value } from '../onnx/graph';
import * as O from '../onnx/ops';
import { gradRules } from './rules';
import { isFloat } from './rules/helpers';

export interface BackwardOptions {
  /** Name scope of the backward nodes (default 'backward'). */
  scope?: string;
}

/** A value and the gradient of the loss with respect to it, computed outside the walk. */
export interface GradientSeed {
  value: Value;
  grad: Value;
}

/** Appends the backward pass; returns parameter name → gradient value (same dtype and shape as the parameter). */
export function appendBackward(graph: Graph, params: Value[], loss: Value, options: BackwardOptions = {}): Map<string, Value> {
  if (loss.shape.length !== 0 && !loss.shape.every((d) => d === 1)) {
    throw new Error(`the loss '${loss.name}' must be a scalar, but its shape is [${loss.shape.join(', ')}]`);
  }
  const ones = graph.constant(loss.dtype, loss.shape.map(Number), Array(shapeSize(loss)).fill(1));
  return appendBackwardFrom(graph, params, [{ value: loss, grad: ones }], options);
}

/**
 * The backward pass from values whose gradients are already known (e.g. the final hidden states, when the loss head
 * computes its own gradient chunk by chunk): the walk covers only the nodes between the parameters and those values.
 */
export function appendBackwardFrom(graph: Graph, params: Value[], seeds: GradientSeed[], options: BackwardOptions = {}): Map<string, Value> {
  const path = nodesOnPath(graph, params, seeds.map((s) => s.value));
  return graph.scope(options.scope ?? 'backward', () => {
    const grads = new Map<string, Value[]>();
    for (const seed of seeds) grads.set(seed.value.name, [seed.grad]);
    for (const node of [...path.nodes].reverse()) backpropNode(graph, node, grads, path.differentiable);
    const result = new Map<string, Value>();
    for (const p of params) {
      const contributions = grads.get(p.name);
      result.set(p.name, contributions ? accumulate(graph, contributions) : O.zerosLike(graph, p));
    }
    return result;
  });
}

const shapeSize = (v: Value): number => v.shape.reduce<number>((a, d) => a * Number(d), 1);

interface Path {
  nodes: Node[]; // in forward order
  differentiable: Set<string>; // values that depend on a parameter AND reach a seed
}

/** Nodes whose inputs depend on a trained parameter and whose outputs reach one of the seeded values. */
function nodesOnPath(graph: Graph, params: Value[], targets: Value[]): Path {
  const fromParams = new Set(params.map((p) => p.name));
  for (const node of graph.nodes) {
    if (node.inputs.some((x) => x && fromParams.has(x.name))) {
      for (const out of node.outputs) if (isFloat(out.dtype)) fromParams.add(out.name);
    }
  }
  const toTargets = new Set(targets.map((t) => t.name));
  const nodes: Node[] = [];
  for (const node of [...graph.nodes].reverse()) {
    if (!node.outputs.some((o) => toTargets.has(o.name) && fromParams.has(o.name))) continue;
    nodes.push(node);
    for (const x of node.inputs) if (x) toTargets.add(x.name);
  }
  const differentiable = new Set([...fromParams].filter((name) => toTargets.has(name)));
  return { nodes: nodes.reverse(), differentiable };
}

function backpropNode(graph: Graph, node: Node, grads: Map<string, Value[]>, differentiable: Set<string>): void {
  const dOut = node.outputs.map((out) => {
    const contributions = grads.get(out.name);
    return contributions ? accumulate(graph, contributions) : undefined;
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
function accumulate(graph: Graph, contributions: Value[]): Value {
  return contributions.length === 1 ? contributions[0] : O.sum(graph, contributions);
}
