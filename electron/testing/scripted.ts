/**
 * The scripted model: a one-layer decoder whose greedy output after the R1 generation prompt
 * (`…<｜Assistant｜><think>\n`) is a given script, then eos, whatever the user asked.
 *
 * It is an n-gram machine written directly into the weights:
 *   residual = [slot 0 … slot k-1 | const | out]   each slot one-hot over the m symbols of the script (+ "other")
 *   embedding: token → one-hot in slot 0, 1 in const
 *   attention head h (1 ≤ h < k): attends to the token h positions back and copies its one-hot into slot h.
 *     q and k come from the const direction only, so the score depends on position alone:
 *     score(d) = Σ_i a·b·cos((d − h)·θ_i) / √head_dim, largest at distance d = h (rotary phases set to h·θ_i).
 *   MLP neuron j (one per step of the script): SwiGLU gate = α·(#matching slots − L_j + ½) fires only when its whole
 *     k-gram matches, and writes the next token into its `out` dimension; lm_head reads `out`.
 * k is the smallest context that makes "last k tokens → next token" a function along `<｜Assistant｜><think>\n` +
 * script + eos. The grams anchored on `<｜Assistant｜>` (unique in that sequence) keep prompt text from matching.
 */
import { ASSISTANT, EOS } from '../tokenizer/r1-tokens';
import type { ModelShape, Arch } from './hf-config';
import type { TensorMap } from './factory';

export interface ScriptPlan {
  /** Token ids of `<｜Assistant｜><think>\n` + script + eos. */
  sequence: number[];
  /** Ids of the script alone (what greedy decoding must produce before eos). */
  scriptIds: number[];
  /** Context length: the last k tokens decide the next one. */
  k: number;
  /** Distinct ids of the sequence; their index is their one-hot position in every slot. */
  symbols: number[];
  /** One neuron per predicting position i ≥ 2: pattern[s] = symbol index of the token s back; next = id to emit. */
  neurons: { pattern: number[]; next: number }[];
}

export interface ScriptTokens {
  /** Ids of `<｜Assistant｜>`, `<think>`, "\n" and eos in this tokenizer. */
  assistantId: number;
  thinkId: number;
  newlineId: number;
  eosId: number;
}

const MAX_CONTEXT = 12;

/** Whether neuron j's pattern fully matches the context seen at position i of the sequence. */
function patternMatchesAt(sequence: number[], j: number, i: number, k: number): boolean {
  const length = Math.min(k, j + 1, i + 1);
  for (let s = 0; s < length; s++) if (sequence[j - s] !== sequence[i - s]) return false;
  return true;
}

function contextIsEnough(sequence: number[], k: number): boolean {
  for (let i = 2; i < sequence.length - 1; i++) {
    for (let j = 2; j < sequence.length - 1; j++) {
      if (sequence[i + 1] === sequence[j + 1]) continue;
      // When j > i the pattern of j reaches the slot where i's context holds <｜Assistant｜>, so it cannot match.
      if (j > i && i < k) continue;
      if (patternMatchesAt(sequence, j, i, k)) return false;
    }
  }
  return true;
}

export function planScript(scriptIds: number[], tokens: ScriptTokens): ScriptPlan {
  if (scriptIds.length === 0) throw new Error('The script is empty: give the text the model should say.');
  for (const forbidden of [tokens.assistantId, tokens.eosId]) {
    if (scriptIds.includes(forbidden)) {
      throw new Error(`The script may not contain ${ASSISTANT} or ${EOS}: they delimit the reply.`);
    }
  }
  const sequence = [tokens.assistantId, tokens.thinkId, tokens.newlineId, ...scriptIds, tokens.eosId];
  let k = 1;
  while (!contextIsEnough(sequence, k)) {
    k++;
    if (k > MAX_CONTEXT) throw new Error(`The script repeats a ${MAX_CONTEXT}-token stretch with different continuations: shorten the repeat.`);
  }
  const symbols = [...new Set(sequence)];
  const index = new Map(symbols.map((id, i) => [id, i]));
  const neurons = [];
  for (let i = 2; i < sequence.length - 1; i++) {
    const length = Math.min(k, i + 1);
    const pattern = Array.from({ length }, (_, s) => index.get(sequence[i - s]) as number);
    neurons.push({ pattern, next: sequence[i + 1] });
  }
  return { sequence, scriptIds, k, symbols, neurons };
}

/** Residual layout: k slots of (m + 1) dims ("other" last), then const, then m output dims. */
export class ScriptLayout {
  readonly m: number;
  readonly constDim: number;
  readonly outBase: number;
  readonly needed: number;
  constructor(readonly plan: ScriptPlan) {
    this.m = plan.symbols.length;
    this.constDim = plan.k * (this.m + 1);
    this.outBase = this.constDim + 1;
    this.needed = this.outBase + this.m;
  }
  slot(s: number, symbol: number): number {
    return s * (this.m + 1) + symbol;
  }
  other(s: number): number {
    return s * (this.m + 1) + this.m;
  }
}

export interface ScriptedShapeOptions {
  arch: Arch;
  vocabSize: number;
  ropeTheta?: number;
}

export function scriptedShape(plan: ScriptPlan, options: ScriptedShapeOptions): ModelShape {
  const layout = new ScriptLayout(plan);
  const heads = Math.max(1, plan.k - 1);
  const roundUp = (x: number, step: number) => Math.ceil(x / step) * step;
  const headDim = Math.max(32, roundUp(layout.m + 1, 8), roundUp(Math.ceil(layout.needed / heads), 8));
  return {
    arch: options.arch,
    hidden: heads * headDim,
    layers: 1,
    heads,
    kvHeads: heads,
    intermediate: roundUp(plan.neurons.length, 8),
    vocabSize: options.vocabSize,
    ropeTheta: options.ropeTheta ?? 10000,
    ropeScaling: null,
    rmsNormEps: 1e-6,
  };
}

export function inverseFrequencies(headDim: number, ropeTheta: number): number[] {
  return Array.from({ length: headDim / 2 }, (_, i) => 1 / ropeTheta ** ((2 * i) / headDim));
}

/**
 * min over distances d ≠ 0 (|d| ≤ span) of Σ_i (1 − cos(d·θ_i)): the score gap between the target position and the
 * best wrong one, per unit of a·b.
 */
export function rotaryGap(inverseFreqs: number[], span: number): number {
  let gap = Infinity;
  for (let d = 1; d <= span; d++) {
    let sum = 0;
    for (const theta of inverseFreqs) sum += 1 - Math.cos(d * theta);
    gap = Math.min(gap, sum);
  }
  return gap;
}

/** Logit margins the construction aims for (in nats). */
export const SCRIPT_MARGINS = { attention: 40, gate: 40, logit: 30, span: 8192 };

function zeros(shape: number[]): { dtype: 'BF16'; shape: number[]; data: Float32Array } {
  return { dtype: 'BF16', shape, data: new Float32Array(shape.reduce((a, b) => a * b, 1)) };
}

/** The weights of the scripted model (bf16; values chosen so rounding stays far inside every margin). */
export function scriptedWeights(plan: ScriptPlan, shape: ModelShape): TensorMap {
  const layout = new ScriptLayout(plan);
  const { hidden, vocabSize, intermediate } = shape;
  const headDim = hidden / shape.heads;
  const symbolIndex = new Map(plan.symbols.map((id, i) => [id, i]));
  // Every embedding has one 1 in slot 0 and a 1 in const, so every RMSNorm divides by the same rms.
  const rms0 = Math.sqrt(2 / hidden);
  const rms1 = Math.sqrt((plan.k + 1) / hidden); // after attention: k one-hots + const
  const rms2 = Math.sqrt((plan.k + 2) / hidden); // after the MLP: + one output unit

  const embed = zeros([vocabSize, hidden]);
  for (let token = 0; token < vocabSize; token++) {
    const symbol = symbolIndex.get(token);
    embed.data[token * hidden + (symbol === undefined ? layout.other(0) : layout.slot(0, symbol))] = 1;
    embed.data[token * hidden + layout.constDim] = 1;
  }

  const q = zeros([shape.heads * headDim, hidden]);
  const k = zeros([shape.kvHeads * headDim, hidden]);
  const v = zeros([shape.kvHeads * headDim, hidden]);
  const o = zeros([hidden, shape.heads * headDim]);
  const freqs = inverseFrequencies(headDim, shape.ropeTheta ?? 10000);
  const gap = rotaryGap(freqs, SCRIPT_MARGINS.span);
  const ab = (SCRIPT_MARGINS.attention * Math.sqrt(headDim)) / gap;
  const a = Math.sqrt(ab);
  const half = headDim / 2;
  for (let head = 0; head < plan.k - 1; head++) {
    const back = head + 1;
    const row = head * headDim;
    for (let i = 0; i < half; i++) {
      // Rotary pairs are (i, i + half) in Hugging Face's rotate_half layout.
      q.data[(row + i) * hidden + layout.constDim] = a * rms0;
      k.data[(row + i) * hidden + layout.constDim] = a * Math.cos(back * freqs[i]) * rms0;
      k.data[(row + half + i) * hidden + layout.constDim] = a * Math.sin(back * freqs[i]) * rms0;
    }
    for (let symbol = 0; symbol <= layout.m; symbol++) {
      v.data[(row + symbol) * hidden + layout.slot(0, symbol)] = rms0; // normalised 1/rms0 → 1
      o.data[layout.slot(back, symbol) * (shape.heads * headDim) + row + symbol] = 1;
    }
  }

  const gate = zeros([intermediate, hidden]);
  const up = zeros([intermediate, hidden]);
  const down = zeros([hidden, intermediate]);
  const alpha = 2 * SCRIPT_MARGINS.gate; // a full match gives α/2, each mismatch takes α away
  plan.neurons.forEach((neuron, j) => {
    neuron.pattern.forEach((symbol, s) => {
      gate.data[j * hidden + layout.slot(s, symbol)] = alpha * rms1;
    });
    gate.data[j * hidden + layout.constDim] = -alpha * (neuron.pattern.length - 0.5) * rms1;
    up.data[j * hidden + layout.constDim] = rms1;
    const out = layout.outBase + (symbolIndex.get(neuron.next) as number);
    down.data[out * intermediate + j] = 2 / alpha; // SiLU(α/2) ≈ α/2 → 1 in the output dim
  });

  const lmHead = zeros([vocabSize, hidden]);
  plan.symbols.forEach((token, symbol) => {
    lmHead.data[token * hidden + layout.outBase + symbol] = SCRIPT_MARGINS.logit * rms2;
  });

  const ones = { dtype: 'BF16' as const, shape: [hidden], data: new Float32Array(hidden).fill(1) };
  const p = 'model.layers.0';
  const tensors: TensorMap = {
    'model.embed_tokens.weight': embed,
    [`${p}.input_layernorm.weight`]: ones,
    [`${p}.self_attn.q_proj.weight`]: q,
    [`${p}.self_attn.k_proj.weight`]: k,
    [`${p}.self_attn.v_proj.weight`]: v,
    [`${p}.self_attn.o_proj.weight`]: o,
    [`${p}.post_attention_layernorm.weight`]: ones,
    [`${p}.mlp.gate_proj.weight`]: gate,
    [`${p}.mlp.up_proj.weight`]: up,
    [`${p}.mlp.down_proj.weight`]: down,
    'model.norm.weight': ones,
    'lm_head.weight': lmHead,
  };
  if (shape.arch === 'qwen2') {
    tensors[`${p}.self_attn.q_proj.bias`] = zeros([shape.heads * headDim]);
    tensors[`${p}.self_attn.k_proj.bias`] = zeros([shape.kvHeads * headDim]);
    tensors[`${p}.self_attn.v_proj.bias`] = zeros([shape.kvHeads * headDim]);
  }
  return tensors;
}

