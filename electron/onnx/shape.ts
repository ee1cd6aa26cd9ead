/**
 * Static shape arithmetic over possibly symbolic dims. Symbolic dims are names ('batch', 'seq') or expressions
 * ('past_seq + seq'); two different symbols in one broadcast position are assumed equal at run time.
 */
import type { Dim } from './graph';

export function broadcastShapes(a: readonly Dim[], b: readonly Dim[], what = 'broadcast'): Dim[] {
  const rank = Math.max(a.length, b.length);
  const out: Dim[] = [];
  for (let i = 0; i < rank; i++) {
    const da = i < rank - a.length ? 1 : a[i - (rank - a.length)];
    const db = i < rank - b.length ? 1 : b[i - (rank - b.length)];
    out.push(broadcastDim(da, db, a, b, what));
  }
  return out;
}

function broadcastDim(da: Dim, db: Dim, a: readonly Dim[], b: readonly Dim[], what: string): Dim {
  if (da === db) return da;
  if (da === 1) return db;
  if (db === 1) return da;
  if (typeof da === 'number' && typeof db === 'number') {
    throw new Error(`${what}: shapes [${a.join(', ')}] and [${b.join(', ')}] do not broadcast (${da} vs ${db}).`);
  }
  // A fixed size beats a symbol; two symbols are assumed equal.
  return typeof da === 'number' ? da : typeof db === 'number' ? db : da;
}

export function broadcastAll(shapes: readonly (readonly Dim[])[], what = 'broadcast'): Dim[] {
  return shapes.reduce<Dim[]>((acc, s) => broadcastShapes(acc, s, what), []);
}

export function normalizeAxis(axis: number, rank: number, what = 'axis'): number {
  const a = axis < 0 ? axis + rank : axis;
  if (a < 0 || a >= rank) throw new Error(`${what} ${axis} is out of range for rank ${rank}.`);
  return a;
}

export function addDims(a: Dim, b: Dim): Dim {
  if (typeof a === 'number' && typeof b === 'number') return a + b;
  if (a === 0) return b;
  if (b === 0) return a;
  return `${a} + ${b}`;
}

export function mulDims(a: Dim, b: Dim): Dim {
  if (typeof a === 'number' && typeof b === 'number') return a * b;
  if (a === 1) return b;
  if (b === 1) return a;
  return `${wrap(a)} * ${wrap(b)}`;
}

function wrap(d: Dim): string {
  return typeof d === 'string' && /[+-]/.test(d) ? `(${d})` : String(d);
}

/**
 * Output shape of Reshape with a static target: 0 copies the input dim, -1 takes the rest. With symbolic input dims,
 * -1 becomes the product of the input dims the target does not name (e.g. 'batch * seq').
 */
export function reshapeTarget(input: readonly Dim[], target: readonly number[]): Dim[] {
  const resolved: Dim[] = target.map((t, i) => (t === 0 ? input[i] : t));
  const inferIndex = target.indexOf(-1);
  if (inferIndex < 0) return resolved;
  const remaining: Dim[] = [...input];
  let knownProduct = 1;
  for (let i = 0; i < resolved.length; i++) {
    if (i === inferIndex) continue;
    const d = resolved[i];
    const at = remaining.indexOf(d);
    if (typeof d === 'string' || at >= 0) {
      if (at < 0) return withUnknown(resolved, inferIndex, input, target);
      remaining.splice(at, 1);
    } else {
      knownProduct *= d;
    }
  }
  const numeric = remaining.filter((d): d is number => typeof d === 'number').reduce((a, b) => a * b, 1);
  const symbols = remaining.filter((d) => typeof d === 'string');
  if (numeric % knownProduct !== 0) return withUnknown(resolved, inferIndex, input, target);
  const factor = numeric / knownProduct;
  resolved[inferIndex] = symbols.reduce<Dim>((acc, symbol) => mulDims(acc, symbol), factor);
  return resolved;
}

/**
 * A dim the builder cannot express: named after the reshape it comes from, so the same build always gives the same
 * names (and two reshapes of the same shapes, which give the same size, share one).
 */
function withUnknown(dims: Dim[], index: number, input: readonly Dim[], target: readonly number[]): Dim[] {
  const out = [...dims];
  out[index] = `reshape_${input.join('_')}_to_${target.join('_')}_${index}`.replace(/[^A-Za-z0-9_]+/g, '_');
  return out;
}

export function shapeToString(shape: readonly Dim[]): string {
  return `[${shape.join(', ')}]`;
}
