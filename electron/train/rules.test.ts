/**
 * Finite-difference check of every gradient rule: a small float64 graph per op, run through ORT, analytic gradient
 * (appended by autodiff) against central differences. Relative error ≤ 1e-5.
 */
import { describe, expect, it } from 'vitest';
import { Graph, type Value } from '../onnx/graph';
import * as O from '../onnx/ops';
import { appendBackward } from './autodiff';
import { type FeedTensor, gradCheck, randomFeed, randomProjectionLoss } from '../testing/gradcheck';
import { gradRules } from './rules';

interface Case {
  output: Value;
  outputDims: number[];
  params: { value: Value; init: FeedTensor }[];
  feeds?: Record<string, FeedTensor>;
  h?: number;
}

let seed = 1;
function param(g: Graph, name: string, dims: number[], lo = -1, hi = 1) {
  return { value: g.input(name, 'float64', dims), init: randomFeed(dims, seed++, lo, hi) };
}

async function check(build: (g: Graph) => Case, tolerance = 1e-5): Promise<number> {
  const g = new Graph('gradcheck');
  const c = build(g);
  const loss = randomProjectionLoss(g, c.output, c.outputDims);
  const result = await gradCheck(g, loss, c.params, c.feeds ?? {}, { h: c.h });
  expect(result.maxRelError, JSON.stringify(result.details)).toBeLessThanOrEqual(tolerance);
  return result.maxRelError;
}

const int64Feed = (dims: number[], values: number[]): FeedTensor => ({ dtype: 'int64', dims, data: BigInt64Array.from(values.map(BigInt)) });

describe('gradient rules (finite differences, float64 through ORT)', () => {
  it('MatMul with batch broadcasting on both sides', async () => {
    await check((g) => {
      const a = param(g, 'a', [3, 1, 4, 5]);
      const b = param(g, 'b', [2, 5, 6]);
      return { output: O.matMul(g, a.value, b.value), outputDims: [3, 2, 4, 6], params: [a, b] };
    });
    await check((g) => {
      const x = param(g, 'x', [2, 3, 4]);
      const w = param(g, 'w', [4, 5]);
      return { output: O.matMul(g, x.value, w.value), outputDims: [2, 3, 5], params: [x, w] };
    });
  });

  it('Add, Sub, Mul, Div reduce broadcast axes back to each input', async () => {
    for (const fn of [O.add, O.sub, O.mul, O.div]) {
      await check((g) => {
        const a = param(g, 'a', [2, 3, 4]);
        const b = param(g, 'b', [3, 1], 0.5, 2);
        const c = param(g, 'c', [], 0.5, 2);
        const d = param(g, 'd', [4], 0.5, 2);
        const y = fn(g, fn(g, fn(g, a.value, b.value), c.value), d.value);
        return { output: y, outputDims: [2, 3, 4], params: [a, b, c, d] };
      });
    }
  });

  it('Pow (constant and trained exponent), Sqrt, Reciprocal, Neg, Exp, Log, Tanh', async () => {
    await check((g) => {
      const x = param(g, 'x', [3, 4], 0.5, 2);
      return { output: O.pow(g, x.value, g.scalar('float64', 2)), outputDims: [3, 4], params: [x] };
    });
    await check((g) => {
      const x = param(g, 'x', [3, 4], 0.5, 2);
      const p = param(g, 'p', [4], 0.5, 3);
      return { output: O.pow(g, x.value, p.value), outputDims: [3, 4], params: [x, p] };
    });
    for (const fn of [O.sqrt, O.reciprocal, O.neg, O.exp, O.log, O.tanh]) {
      await check((g) => {
        const x = param(g, 'x', [2, 5], 0.5, 2);
        return { output: fn(g, x.value), outputDims: [2, 5], params: [x] };
      });
    }
  });

  it('ReduceMean (attribute axes) and ReduceSum (input axes), keepdims on and off', async () => {
    for (const keep of [true, false]) {
      await check((g) => {
        const x = param(g, 'x', [2, 3, 4]);
        return { output: O.reduceMean(g, x.value, [-1], keep), outputDims: keep ? [2, 3, 1] : [2, 3], params: [x] };
      });
      await check((g) => {
        const x = param(g, 'x', [2, 3, 4]);
        return { output: O.reduceSum(g, x.value, [0, 2], keep), outputDims: keep ? [1, 3, 1] : [3], params: [x] };
      });
    }
  });

  it('ReduceMean over a symbolic axis divides by the run-time count', async () => {
    await check((g) => {
      const x = { value: g.input('x', 'float64', [2, 'seq', 4]), init: randomFeed([2, 5, 4], 99) };
      return { output: O.reduceMean(g, x.value, [1], true), outputDims: [2, 1, 4], params: [x] };
    });
  });

  it('Reshape, Transpose, Unsqueeze, Squeeze, Expand', async () => {
    await check((g) => {
      const x = param(g, 'x', [2, 3, 4]);
      const r = O.reshape(g, x.value, [2, 12]);
      const t = O.transpose(g, O.reshape(g, r, [2, 3, 4]), [2, 0, 1]);
      const u = O.squeeze(g, O.unsqueeze(g, t, [1]), [1]);
      const flat = g.node('Flatten', [O.identity(g, u)], [{ dtype: 'float64', shape: [4, 6] }], { axis: 1 })[0];
      return { output: flat, outputDims: [4, 6], params: [x] };
    });
    await check((g) => {
      const x = param(g, 'x', [3, 1]);
      return { output: O.expand(g, x.value, [2, 3, 4]), outputDims: [2, 3, 4], params: [x] };
    });
  });

  it('Slice (static, negative and symbolic ends), Concat, Split', async () => {
    await check((g) => {
      const x = param(g, 'x', [3, 8]);
      const s = O.slice(g, x.value, [1, 2], [3, -1], [0, 1]);
      return { output: s, outputDims: [2, 5], params: [x] };
    });
    await check((g) => {
      const x = { value: g.input('x', 'float64', [2, 'seq', 3]), init: randomFeed([2, 6, 3], 5) };
      const s = O.slice(g, x.value, [1], [-1], [1], ['seq - 2']);
      const t = O.slice(g, x.value, [2], [2 ** 62], [1], ['seq - 2']);
      return { output: O.add(g, s, t), outputDims: [2, 4, 3], params: [x] };
    });
    await check((g) => {
      const a = param(g, 'a', [2, 3]);
      const b = param(g, 'b', [2, 5]);
      return { output: O.concat(g, [a.value, O.neg(g, b.value), a.value], -1), outputDims: [2, 11], params: [a, b] };
    });
    await check((g) => {
      const a = { value: g.input('a', 'float64', [2, 'seq']), init: randomFeed([2, 4], 8) };
      const b = param(g, 'b', [2, 3]);
      return { output: O.concat(g, [a.value, b.value], 1), outputDims: [2, 7], params: [a, b] };
    });
    await check((g) => {
      const x = param(g, 'x', [2, 6]);
      const [p, q] = g.node('Split', [x.value, g.constant('int64', [2], [2, 4])], [
        { dtype: 'float64', shape: [2, 2] }, { dtype: 'float64', shape: [2, 4] },
      ], { axis: 1 });
      // only the second part reaches the loss: the first gets zeros
      void p;
      return { output: O.exp(g, q), outputDims: [2, 4], params: [x] };
    });
  });

  it('Gather (embedding rows, repeated ids) and GatherElements (target log-probs)', async () => {
    await check((g) => {
      const w = param(g, 'w', [6, 4]);
      const ids = g.input('ids', 'int64', [2, 3]);
      return { output: O.gather(g, w.value, ids, 0), outputDims: [2, 3, 4], params: [w], feeds: { ids: int64Feed([2, 3], [1, 5, 1, 0, 1, 3]) } };
    });
    await check((g) => {
      const x = param(g, 'x', [2, 3, 5]);
      const idx = g.input('idx', 'int64', [2, 3, 1]);
      const picked = O.gatherElements(g, O.logSoftmax(g, x.value, -1), idx, 2);
      return { output: picked, outputDims: [2, 3, 1], params: [x], feeds: { idx: int64Feed([2, 3, 1], [0, 4, 2, 2, 1, 3]) } };
    });
  });

  it('Softmax, LogSoftmax, Sigmoid and SiLU (x · sigmoid(x))', async () => {
    for (const build of [
      (g: Graph, x: Value) => O.softmax(g, x, -1),
      (g: Graph, x: Value) => O.softmax(g, x, 1),
      (g: Graph, x: Value) => O.logSoftmax(g, x, -1),
      (g: Graph, x: Value) => O.sigmoid(g, x),
      (g: Graph, x: Value) => O.mul(g, x, O.sigmoid(g, x)),
    ]) {
      await check((g) => {
        const x = param(g, 'x', [2, 3, 4], -2, 2);
        return { output: build(g, x.value), outputDims: [2, 3, 4], params: [x] };
      });
    }
  });

  it('Cast passes the gradient through (float64 → float32 → float64)', async () => {
    await check((g) => {
      const x = param(g, 'x', [3, 4]);
      return { output: O.cast(g, O.cast(g, x.value, 'float32'), 'float64'), outputDims: [3, 4], params: [x], h: 0.25 };
    }, 1e-5);
  });

  it('Where routes the gradient by the condition, with broadcasting', async () => {
    await check((g) => {
      const a = param(g, 'a', [2, 3]);
      const b = param(g, 'b', [3]);
      const cond = g.input('cond', 'bool', [2, 3]);
      return { output: O.where(g, cond, a.value, b.value), outputDims: [2, 3], params: [a, b], feeds: { cond: { dtype: 'bool', dims: [2, 3], data: Uint8Array.from([1, 0, 1, 0, 0, 1]) } } };
    });
  });

  it('a value used twice gets both contributions summed', async () => {
    await check((g) => {
      const x = param(g, 'x', [3, 3]);
      return { output: O.matMul(g, x.value, O.transpose(g, x.value, [1, 0])), outputDims: [3, 3], params: [x] };
    });
  });

  it('names the op and node when a rule is missing, and prunes frozen branches', () => {
    const g = new Graph('missing');
    const x = g.input('x', 'float64', [3]);
    const frozen = g.input('frozen', 'float64', [3]);
    const y = g.node('Erf', [x], [{ dtype: 'float64', shape: [3] }], {}, { name: 'my_erf' })[0];
    const loss = O.reduceSum(g, O.mul(g, y, frozen), [0], false);
    expect(() => appendBackward(g, [x], loss)).toThrow(/no gradient rule for op 'Erf' \(node \/my_erf\)/);

    const h = new Graph('pruned');
    const w = h.input('w', 'float64', [3]);
    const f = h.input('f', 'float64', [3]);
    const erfOfFrozen = h.node('Erf', [f], [{ dtype: 'float64', shape: [3] }])[0]; // no rule needed: nothing trained flows through it
    const lossH = O.reduceSum(h, O.add(h, O.mul(h, w, w), erfOfFrozen), [0], false);
    const before = h.nodes.length;
    appendBackward(h, [w], lossH);
    expect(h.nodes.slice(before).some((n) => n.inputs.some((i) => i?.name === 'f'))).toBe(false);
  });

  it('the table covers the ops the issue lists', () => {
    for (const op of ['MatMul', 'Add', 'Sub', 'Mul', 'Div', 'Pow', 'Sqrt', 'ReduceMean', 'ReduceSum', 'Neg', 'Reshape', 'Transpose',
      'Slice', 'Concat', 'Gather', 'Expand', 'Unsqueeze', 'Squeeze', 'Softmax', 'Sigmoid', 'Cast', 'Where', 'LogSoftmax', 'GatherElements']) {
      expect(gradRules[op], op).toBeTypeOf('function');
    }
  });
});
