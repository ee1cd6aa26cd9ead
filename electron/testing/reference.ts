/**
 * A plain float64 forward pass of the qwen2/llama decoder (loops, no ORT), written straight from the Hugging Face
 * modeling code and independent of the graph builder. Tests compare ORT's logits with it. Slow; tiny models only.
 */
import type { ModelConfig } from '../model/config';
import type { WeightSource } from '../model/weights';

/** Per layer, keys/values [batch][kv_heads][length][head_dim] flattened. */
export interface ReferenceCache {
  batch: number;
  length: number;
  keys: Float64Array[];
  values: Float64Array[];
}

export interface ReferenceInput {
  inputIds: number[][];
  /** [batch][past + seq]: 1/0 for 'padding', segment ids for 'segments'. */
  attentionMask: number[][];
  positionIds: number[][];
  past?: ReferenceCache;
  maskMode?: 'padding' | 'segments';
}

export class ReferenceModel {
  private readonly w = new Map<string, Float64Array>();

  constructor(readonly config: ModelConfig, source: WeightSource) {
    for (const name of source.names()) this.w.set(name, Float64Array.from(source.get(name).readFloat32()));
  }

  /** Returns logits [batch][seq][vocab] flattened, and the cache extended by this step. */
  forward(input: ReferenceInput): { logits: Float64Array; present: ReferenceCache } {
    const c = this.config;
    const batch = input.inputIds.length;
    const seq = input.inputIds[0].length;
    const past = input.past?.length ?? 0;
    const total = past + seq;
    const kvSize = c.numKvHeads * c.headDim;
    const present: ReferenceCache = { batch, length: total, keys: [], values: [] };
    for (let l = 0; l < c.numLayers; l++) {
      present.keys.push(new Float64Array(batch * c.numKvHeads * total * c.headDim));
      present.values.push(new Float64Array(batch * c.numKvHeads * total * c.headDim));
    }
    const logits = new Float64Array(batch * seq * c.vocabSize);
    for (let b = 0; b < batch; b++) {
      let x = this.embed(input.inputIds[b]);
      for (let l = 0; l < c.numLayers; l++) {
        const p = `model.layers.${l}`;
        const normed = this.rmsNorm(x, seq, `${p}.input_layernorm.weight`);
        const q = this.linear(normed, seq, `${p}.self_attn.q_proj`, c.hiddenSize, c.numHeads * c.headDim);
        const k = this.linear(normed, seq, `${p}.self_attn.k_proj`, c.hiddenSize, kvSize);
        const v = this.linear(normed, seq, `${p}.self_attn.v_proj`, c.hiddenSize, kvSize);
        this.rotate(q, seq, c.numHeads, input.positionIds[b]);
        this.rotate(k, seq, c.numKvHeads, input.positionIds[b]);
        const [keys, values] = [present.keys[l], present.values[l]];
        this.fillCache(keys, input.past?.keys[l], k, b, past, seq, total);
        this.fillCache(values, input.past?.values[l], v, b, past, seq, total);
        const attended = this.attend(q, keys, values, b, seq, past, input.attentionMask[b], input.maskMode ?? 'padding');
        const out = this.linear(attended, seq, `${p}.self_attn.o_proj`, c.numHeads * c.headDim, c.hiddenSize);
        x = x.map((xi, i) => xi + out[i]);
        const normed2 = this.rmsNorm(x, seq, `${p}.post_attention_layernorm.weight`);
        const mlp = this.mlp(normed2, seq, `${p}.mlp`);
        x = x.map((xi, i) => xi + mlp[i]);
      }
      const final = this.rmsNorm(x, seq, 'model.norm.weight');
      const head = c.tieWordEmbeddings ? 'model.embed_tokens' : 'lm_head';
      logits.set(this.linear(final, seq, head, c.hiddenSize, c.vocabSize), b * seq * c.vocabSize);
    }
    return { logits, present };
  }

  private get(name: string): Float64Array {
    const t = this.w.get(name);
    if (!t) throw new Error(`reference: missing weight ${name}`);
    return t;
  }

  private embed(ids: number[]): Float64Array {
    const h = this.config.hiddenSize;
    const table = this.get('model.embed_tokens.weight');
    const x = new Float64Array(ids.length * h);
    ids.forEach((id, s) => x.set(table.subarray(id * h, (id + 1) * h), s * h));
    return x;
  }

  private rmsNorm(x: Float64Array, rows: number, weightName: string): Float64Array {
    const h = this.config.hiddenSize;
    const weight = this.get(weightName);
    const out = new Float64Array(x.length);
    for (let r = 0; r < rows; r++) {
      let sumSquares = 0;
      for (let i = 0; i < h; i++) sumSquares += x[r * h + i] ** 2;
      const inv = 1 / Math.sqrt(sumSquares / h + this.config.rmsNormEps);
      for (let i = 0; i < h; i++) out[r * h + i] = x[r * h + i] * inv * weight[i];
    }
    return out;
  }

  /** y = x Wᵀ + b with W stored [out, in] like Hugging Face. */
  private linear(x: Float64Array, rows: number, module: string, inF: number, outF: number): Float64Array {
    const weight = this.get(`${module}.weight`);
    const bias = this.w.get(`${module}.bias`);
    const y = new Float64Array(rows * outF);
    for (let r = 0; r < rows; r++) {
      for (let o = 0; o < outF; o++) {
        let s = bias ? bias[o] : 0;
        for (let i = 0; i < inF; i++) s += x[r * inF + i] * weight[o * inF + i];
        y[r * outF + o] = s;
      }
    }
    return y;
  }

  /** In place: rotate each head's halves by position × inv_freq (transformers' rotate_half convention). */
  private rotate(x: Float64Array, rows: number, heads: number, positions: number[]): void {
    const d = this.config.headDim;
    const half = d / 2;
    const invFreq = referenceInverseFrequencies(this.config);
    for (let r = 0; r < rows; r++) {
      for (let h = 0; h < heads; h++) {
        const base = (r * heads + h) * d;
        for (let i = 0; i < half; i++) {
          const angle = positions[r] * invFreq[i];
          const [a, b] = [x[base + i], x[base + i + half]];
          x[base + i] = a * Math.cos(angle) - b * Math.sin(angle);
          x[base + i + half] = b * Math.cos(angle) + a * Math.sin(angle);
        }
      }
    }
  }

  private fillCache(cache: Float64Array, past: Float64Array | undefined, fresh: Float64Array, b: number, pastLen: number, seq: number, total: number): void {
    const { numKvHeads: kvh, headDim: d } = this.config;
    for (let h = 0; h < kvh; h++) {
      const dst = ((b * kvh + h) * total) * d;
      if (past && pastLen) cache.set(past.subarray(((b * kvh + h) * pastLen) * d, ((b * kvh + h) * pastLen + pastLen) * d), dst);
      for (let s = 0; s < seq; s++) {
        for (let i = 0; i < d; i++) cache[dst + (pastLen + s) * d + i] = fresh[(s * kvh + h) * d + i];
      }
    }
  }

  private attend(q: Float64Array, keys: Float64Array, values: Float64Array, b: number, seq: number, past: number, mask: number[], mode: 'padding' | 'segments'): Float64Array {
    const { numHeads, numKvHeads, headDim: d } = this.config;
    const total = past + seq;
    const group = numHeads / numKvHeads;
    const out = new Float64Array(seq * numHeads * d);
    for (let h = 0; h < numHeads; h++) {
      const kvBase = ((b * numKvHeads + Math.floor(h / group)) * total) * d;
      for (let s = 0; s < seq; s++) {
        const query = past + s;
        const visible = (t: number): boolean => t <= query && mask[t] !== 0 && (mode === 'padding' || mask[t] === mask[query]);
        const scores = Array.from({ length: total }, (_, t) => {
          if (!visible(t)) return -Infinity;
          let dot = 0;
          for (let i = 0; i < d; i++) dot += q[(s * numHeads + h) * d + i] * keys[kvBase + t * d + i];
          return dot / Math.sqrt(d);
        });
        const peak = Math.max(...scores);
        if (peak === -Infinity) continue; // a pad query sees nothing: leave zeros (never compared)
        const weights = scores.map((sc) => Math.exp(sc - peak));
        const z = weights.reduce((a2, b2) => a2 + b2, 0);
        for (let t = 0; t < total; t++) {
          for (let i = 0; i < d; i++) out[(s * numHeads + h) * d + i] += (weights[t] / z) * values[kvBase + t * d + i];
        }
      }
    }
    return out;
  }

  private mlp(x: Float64Array, rows: number, prefix: string): Float64Array {
    const { hiddenSize: h, intermediateSize: m } = this.config;
    const gate = this.linear(x, rows, `${prefix}.gate_proj`, h, m);
    const up = this.linear(x, rows, `${prefix}.up_proj`, h, m);
    const act = gate.map((gv, i) => (gv / (1 + Math.exp(-gv))) * up[i]);
    return this.linear(act, rows, `${prefix}.down_proj`, m, h);
  }
}

/** transformers' default and llama3 inverse frequencies, transcribed separately from the graph builder's. */
export function referenceInverseFrequencies(config: ModelConfig): number[] {
  const d = config.headDim;
  const base = Array.from({ length: d / 2 }, (_, i) => 1 / config.ropeTheta ** ((2 * i) / d));
  const s = config.ropeScaling;
  if (!s) return base;
  const lowWavelen = s.originalMaxPositionEmbeddings / s.lowFreqFactor;
  const highWavelen = s.originalMaxPositionEmbeddings / s.highFreqFactor;
  return base.map((f) => {
    const wavelen = (2 * Math.PI) / f;
    const scaled = wavelen > lowWavelen ? f / s.factor : f;
    const smooth = (s.originalMaxPositionEmbeddings / wavelen - s.lowFreqFactor) / (s.highFreqFactor - s.lowFreqFactor);
    const smoothed = ((1 - smooth) * scaled) / s.factor + smooth * scaled;
    const isMedium = !(wavelen < highWavelen) && !(wavelen > lowWavelen);
    return isMedium ? smoothed : scaled;
  });
}
