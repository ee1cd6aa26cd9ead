// A checkpoint whose projection weights look like trained ones where it matters for 4-bit blocks: heavy tails
// (Student-t, 5 degrees of freedom) and large outliers (one per row at least, one per thousand weights). Gaussian test weights hide what a larger
// quantization block does: one outlier sets the scale of its whole block and crushes its neighbours to a few levels.
import { gaussian, mulberry32 } from './prng';
import { randomWeights, writeCheckpointFolder, type TensorMap } from './factory';
import type { ModelShape } from './hf-config';

const DEGREES = 5;
/** Share of weights that are outliers (about one per thousand, like trained LLM projections), and their size in σ. */
const OUTLIER_RATE = 1 / 1024;
const OUTLIER_SIGMAS = [6, 16];

function studentT(normal: () => number): number {
  let chi2 = 0;
  for (let i = 0; i < DEGREES; i++) chi2 += normal() ** 2;
  return normal() / Math.sqrt(chi2 / DEGREES);
}

/** [rows, cols] with unit-scaled t values times `std` (t has variance ν/(ν−2): rescaled to std) and row outliers. */
export function heavyTailedMatrix(rows: number, cols: number, std: number, seed: number): Float32Array {
  const uniform = mulberry32(seed);
  const normal = gaussian(uniform);
  const scale = std / Math.sqrt(DEGREES / (DEGREES - 2));
  const out = new Float32Array(rows * cols);
  for (let i = 0; i < out.length; i++) out[i] = studentT(normal) * scale;
  const outliers = Math.max(rows, Math.round(out.length * OUTLIER_RATE)); // at least one per row
  for (let k = 0; k < outliers; k++) {
    const at = k < rows ? k * cols + Math.floor(uniform() * cols) : Math.floor(uniform() * out.length);
    const sigmas = OUTLIER_SIGMAS[0] + uniform() * (OUTLIER_SIGMAS[1] - OUTLIER_SIGMAS[0]);
    out[at] = (uniform() < 0.5 ? -1 : 1) * sigmas * std;
  }
  return out;
}

/** randomWeights with every projection and lm_head replaced by heavy-tailed values of the same scale. */
export function writeHeavyTailedCheckpoint(dir: string, shape: ModelShape, seed: number): void {
  const tensors: TensorMap = randomWeights(shape, seed);
  let n = 0;
  for (const [name, t] of Object.entries(tensors)) {
    if (!/(_proj|lm_head)\.weight$/.test(name)) continue;
    const [rows, cols] = t.shape;
    tensors[name] = { dtype: 'BF16', shape: t.shape, data: heavyTailedMatrix(rows, cols, 1 / Math.sqrt(cols), seed * 1000 + n++) };
  }
  writeCheckpointFolder(dir, shape, tensors);
}
