// Agreement between two logits tensors [positions, vocab]: how a converted dtype compares with fp32.

export interface LogitsAgreement {
  maxAbs: number;
  minCosine: number;
  meanCosine: number;
  /** Fraction of positions whose argmax is the same. */
  top1: number;
}

export function compareLogits(reference: Float32Array, candidate: Float32Array, positions: number): LogitsAgreement {
  if (reference.length !== candidate.length || reference.length % positions !== 0) {
    throw new Error(`compareLogits: ${reference.length} vs ${candidate.length} values for ${positions} positions.`);
  }
  const vocab = reference.length / positions;
  let maxAbs = 0;
  let minCosine = 1;
  let sumCosine = 0;
  let agree = 0;
  for (let t = 0; t < positions; t++) {
    let dot = 0;
    let nr = 0;
    let nc = 0;
    let bestR = 0;
    let bestC = 0;
    const base = t * vocab;
    for (let v = 0; v < vocab; v++) {
      const r = reference[base + v];
      const c = candidate[base + v];
      maxAbs = Math.max(maxAbs, Math.abs(r - c));
      dot += r * c;
      nr += r * r;
      nc += c * c;
      if (r > reference[base + bestR]) bestR = v;
      if (c > candidate[base + bestC]) bestC = v;
    }
    const cosine = dot / Math.sqrt(nr * nc);
    minCosine = Math.min(minCosine, cosine);
    sumCosine += cosine;
    if (bestR === bestC) agree++;
  }
  return { maxAbs, minCosine, meanCosine: sumCosine / positions, top1: agree / positions };
}
