/**
 * The scripted model: a one-layer decoder whose greedy output after the R1 generation prompt
 * (`…<｜Assistant｜><think>\n`) is a given script, then eos, whatever the user asked.
 *
 * It is an n-gram machine written directly into the weights:
 *   residual = [slot 0 … slot k-1 | const | out]
 *     each slot holds a ±1 binary code (B bits) of one of the m symbols of the script, or of "any other token";
 *     out has one dimension per symbol.
 *   embedding: token → its code in slot 0, 1 in const (so every position has the same RMS)
 *   attention head h (1 ≤ h < k): attends to the token h positions back and copies its code into slot h.
 *     q and k come from the const direction only, so the score depends on position alone:
 *     score(d) = Σ_i a·b·cos((d − h)·θ_i) / √head_dim, largest at distance d = h (rotary phases set to h·θ_i).
 *   MLP neuron j (one per step of the script): SwiGLU gate = α·(Σ code agreement − (L_j·B − 1)) is +α when all its
 *     L_j·B bits agree and ≤ −α otherwise; it writes the next token into that token's `out` dimension; lm_head reads
 *     `out`, every other vocabulary row is zero.
 * k is the smallest context that makes "last k tokens → next token" a function along `<｜Assistant｜><think>\n` +
 * script + eos. Grams that reach back to `<｜Assistant｜>` (unique in that sequence) keep prompt text from matching.
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

/** Residual layout: k slots of B code bits, then const, then m output dims. Code m is "any other token". */
export class ScriptLayout {
  readonly m: number;
  readonly bits: number;
  readonly constDim: number;
  readonly outBase: number;
  readonly needed: number;
  constructor(readonly plan: ScriptPlan) {
    this.m = plan.symbols.length;
    this.bits = Math.max(1, Math.ceil(Math.log2(this.m + 1)));
    this.constDim = plan.k * this.bits;
    this.outBase = this.constDim + 1;
    this.needed = this.outBase + this.m;
  }
  /** Residual index of bit b of slot s. */
  bit(s: number, b: number): number {
    return s * this.bits + b;
  }
  /** ±1 value of bit b in the code of a symbol (this.m = any other token). */
  code(symbol: number, b: number): number {
    return (symbol >> b) & 1 ? 1 : -1;
  }
}

export interface ScriptedShapeOptions {
  arch: Arch;
  vocabSize: number;
  ropeTheta?: number;
}

/** Enough rotary pairs to single out one distance; values need only B dims. */
const SCRIPT_HEAD_DIM = 32;

export function scriptedShape(plan: ScriptPlan, options: ScriptedShapeOptions): ModelShape {
  const layout = new ScriptLayout(plan);
  if (layout.bits > SCRIPT_HEAD_DIM) throw new Error(`The script has too many distinct tokens (${layout.m}).`);
  const roundUp = (x: number, step: number) => Math.ceil(x / step) * step;
  return {
    arch: options.arch,
    hidden: roundUp(layout.needed, 8),
    layers: 1,
    heads: Math.max(1, plan.k - 1),
    kvHeads: Math.max(1, plan.k - 1),
    headDim: SCRIPT_HEAD_DIM,
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
  const headDim = shape.headDim ?? hidden / shape.heads;
  const attentionWidth = shape.heads * headDim;
  const symbolIndex = new Map(plan.symbols.map((id, i) => [id, i]));
  const B = layout.bits;
  // Every entry of a code is ±1 and const is 1, so each RMSNorm divides every position by the same rms.
  const rms0 = Math.sqrt((B + 1) / hidden);
  const rms1 = Math.sqrt((plan.k * B + 1) / hidden); // after attention: k codes + const
  const rms2 = Math.sqrt((plan.k * B + 2) / hidden); // after the MLP: + one output unit

  const embed = zeros([vocabSize, hidden]);
  for (let token = 0; token < vocabSize; token++) {
    const symbol = symbolIndex.get(token) ?? layout.m;
    for (let b = 0; b < B; b++) embed.data[token * hidden + layout.bit(0, b)] = layout.code(symbol, b);
    embed.data[token * hidden + layout.constDim] = 1;
  }

  const q = zeros([attentionWidth, hidden]);
  const k = zeros([shape.kvHeads * headDim, hidden]);
  const v = zeros([shape.kvHeads * headDim, hidden]);
  const o = zeros([hidden, attentionWidth]);
  const freqs = inverseFrequencies(headDim, shape.ropeTheta ?? 10000);
  const gap = rotaryGap(freqs, SCRIPT_MARGINS.span);
  const a = Math.sqrt((SCRIPT_MARGINS.attention * Math.sqrt(headDim)) / gap); // q and k magnitude per pair
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
    for (let b = 0; b < B; b++) {
      v.data[(row + b) * hidden + layout.bit(0, b)] = rms0; // the normalised ±1/rms0 → ±1
      o.data[layout.bit(back, b) * attentionWidth + row + b] = 1;
    }
  }

  const gate = zeros([intermediate, hidden]);
  const up = zeros([intermediate, hidden]);
  const down = zeros([hidden, intermediate]);
  const alpha = SCRIPT_MARGINS.gate; // full agreement gives +α, one wrong bit already −α
  plan.neurons.forEach((neuron, j) => {
    neuron.pattern.forEach((symbol, s) => {
      for (let b = 0; b < B; b++) gate.data[j * hidden + layout.bit(s, b)] = alpha * layout.code(symbol, b) * rms1;
    });
    gate.data[j * hidden + layout.constDim] = -alpha * (neuron.pattern.length * B - 1) * rms1;
    up.data[j * hidden + layout.constDim] = rms1;
    const out = layout.outBase + (symbolIndex.get(neuron.next) as number);
    down.data[out * intermediate + j] = 1 / alpha; // SiLU(α) ≈ α → 1 in the output dim
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
    tensors[`${p}.self_attn.q_proj.bias`] = zeros([attentionWidth]);
    tensors[`${p}.self_attn.k_proj.bias`] = zeros([shape.kvHeads * headDim]);
    tensors[`${p}.self_attn.v_proj.bias`] = zeros([shape.kvHeads * headDim]);
  }
  return tensors;
}

