/**
 * The generation loop (runs in the engine process): the project's own loop over a decoder session, which gives exact
 * control over the thinking budget, stop, per-token split and stats at no measurable overhead (see bench/generate.ts).
 *
 * Each step samples a token, splits it into reasoning/answer text, feeds it back, then yields to the event loop, so a
 * cancel message gets in between steps and generations on other models get their turn (the pool's decoders wait
 * for it before each run: turns.ts hands the models turns of a quarter second rather than a token each).
 */
import { yieldToEventLoop } from '../engine/yield';
import type { DecoderModel } from './ort-decoder';
import { R1StreamSplitter, mergeEvents, type StreamEvent } from './r1-stream';
import { Sampler, R1_SAMPLING, type CandidateFinder } from './sampler';
import type { ChatTurn, ModelTokenizer } from '../tokenizer/model-tokenizer';
import { MAX_NEW_TOKENS } from '../contract/inference';
import type { FinishReason, GenerationResult, GenerationStats, ThoughtClosed } from '../contract/generation';

/** The contract's limit, re-exported for the engine side. */
export { MAX_NEW_TOKENS };
/** Inserted when the thinking budget runs out: closes the thought the way the model itself does. */
export const THINKING_BUDGET_CLOSE = '\n</think>\n\n';

export interface GenerateOptions {
  maxNewTokens?: number;
  temperature?: number;
  topP?: number;
  topK?: number;
  repetitionPenalty?: number;
  seed?: number;
  /** After this many thinking tokens, close the thought and answer. */
  thinkingBudget?: number;
}

// The stats and the result are the engine contract's schemas: what the engine answers is what generate() returns.
export type { FinishReason, GenerationResult, GenerationStats };

export interface GenerationModel {
  decoder: DecoderModel;
  tokenizer: ModelTokenizer;
  provider: string;
  dtype: string;
  /** Context window the model was loaded for (prompt + new tokens). */
  contextLength: number;
  /** Does the vocabulary-wide part of sampling natively (absent: the sampler's exact pass in JavaScript). */
  candidates?: CandidateFinder;
}

export interface GenerateHooks {
  signal?: AbortSignal;
  /** Text as it streams; consecutive pieces of a step are merged. `tokens`: generated so far (for rates). */
  onEvent?: (event: StreamEvent, tokens: number) => void;
  /** `</think>` arrived: the thought's length, the same figures the final stats report (thinkingMs, thinkingTokens). */
  onThoughtClosed?: (thought: ThoughtClosed) => void;
}

class Clock {
  readonly start = performance.now();
  firstTokenAt?: number;
  lastTokenAt?: number;
  thinkingEndAt?: number;
  tokens = 0;
  /** Time inside the model's forward passes during decoding (prefill excluded). */
  forwardMs = 0;

  token(): void {
    const now = performance.now();
    this.firstTokenAt ??= now;
    this.lastTokenAt = now;
    this.tokens++;
  }
}

export async function generate(
  model: GenerationModel,
  input: { messages: ChatTurn[] } | { promptIds: number[] },
  options: GenerateOptions = {},
  hooks: GenerateHooks = {},
): Promise<GenerationResult> {
  const clock = new Clock();
  const promptIds = 'promptIds' in input ? input.promptIds : model.tokenizer.encodeChat(input.messages);
  const maxNew = tokenLimit(promptIds.length, model.contextLength, options.maxNewTokens);
  const seed = options.seed ?? Math.floor(Math.random() * 2 ** 31);
  const sampler = new Sampler({
    temperature: options.temperature ?? R1_SAMPLING.temperature,
    topP: options.topP ?? R1_SAMPLING.topP,
    topK: options.topK,
    repetitionPenalty: options.repetitionPenalty,
    seed,
  }, model.candidates);
  const splitter = new R1StreamSplitter(model.tokenizer, model.tokenizer.special);
  // the distinct ids so far, for the repetition penalty: kept up to date, not rebuilt from the whole context each token
  const seen = options.repetitionPenalty ? new Set(promptIds) : undefined;
  const emit = (events: StreamEvent[]) => mergeEvents(events).forEach((e) => hooks.onEvent?.(e, clock.tokens));

  if (hooks.signal?.aborted) {
    // cancelled while queued behind another generation: a prefill of up to a whole context would be wasted work
    return { reasoning: '', answer: '', stats: collectStats(model, promptIds.length, clock, splitter, 'stopped', false, seed) };
  }
  let budgetHit = false;
  let prefill = promptIds;
  if (options.thinkingBudget === 0) {
    // no thinking at all: the prompt already opened the thought, close it at once (the `<think>\n\n</think>` skip)
    const close = model.tokenizer.encode(THINKING_BUDGET_CLOSE);
    close.forEach((id) => splitter.push(id));
    clock.tokens += close.length;
    prefill = [...promptIds, ...close];
    budgetHit = true;
  }
  // the cache keeps what this prompt shares with the previous one (a follow-up, a regenerate): only the rest is run
  const reused = model.decoder.reuse(prefill);
  let logits = await model.decoder.forward(prefill.slice(reused), hooks.signal);
  let finishReason: FinishReason = 'length';
  while (clock.tokens < maxNew) {
    if (hooks.signal?.aborted) {
      finishReason = 'stopped';
      break;
    }
    const id = await sampler.next(logits, seen);
    clock.token();
    const feed = [id];
    const events = splitter.push(id);
    if (splitter.phase === 'done') {
      finishReason = 'stop';
      emit(events);
      break;
    }
    if (options.thinkingBudget !== undefined && splitter.phase === 'thinking' && splitter.thinkingTokens >= options.thinkingBudget) {
      for (const forced of model.tokenizer.encode(THINKING_BUDGET_CLOSE)) {
        feed.push(forced);
        events.push(...splitter.push(forced));
        clock.tokens++;
      }
      budgetHit = true;
    }
    const closedNow = splitter.phase === 'answer' && clock.thinkingEndAt === undefined;
    if (closedNow) clock.thinkingEndAt = performance.now();
    if (seen) feed.forEach((fed) => seen.add(fed));
    emit(events);
    if (closedNow) hooks.onThoughtClosed?.({ ms: round(clock.thinkingEndAt! - clock.firstTokenAt!), tokens: splitter.thinkingTokens });
    if (clock.tokens >= maxNew) break;
    const forwardStart = performance.now();
    logits = await model.decoder.forward(feed);
    clock.forwardMs += performance.now() - forwardStart;
    await yieldToEventLoop();
  }
  emit(splitter.finish());
  return { reasoning: splitter.reasoning, answer: splitter.answer, stats: collectStats(model, promptIds.length, clock, splitter, finishReason, budgetHit, seed) };
}

/** The caller's input does not fit the loaded context: their request to fix (a 400), not an engine failure. */
export class PromptTooLongError extends Error {
  readonly code = 'bad_request';
  constructor(message: string) {
    super(message);
    this.name = 'PromptTooLongError';
  }
}

export function tokenLimit(promptTokens: number, contextLength: number, requested?: number): number {
  const room = contextLength - promptTokens;
  if (room <= 0) {
    throw new PromptTooLongError(`The prompt has ${promptTokens} tokens but the model was loaded with a ${contextLength}-token context. Shorten the chat or load the model with a longer context.`);
  }
  return Math.max(1, Math.min(requested ?? MAX_NEW_TOKENS, MAX_NEW_TOKENS, room));
}

function collectStats(
  model: GenerationModel,
  promptTokens: number,
  clock: Clock,
  splitter: R1StreamSplitter,
  finishReason: FinishReason,
  thinkingBudgetHit: boolean,
  seed: number,
): GenerationStats {
  const end = performance.now();
  const first = clock.firstTokenAt ?? end;
  const last = clock.lastTokenAt ?? end;
  const decodeSeconds = (last - first) / 1000;
  return {
    promptTokens,
    timeToFirstTokenMs: round(first - clock.start),
    thinkingTokens: splitter.thinkingTokens,
    thinkingMs: round((clock.thinkingEndAt ?? last) - first),
    answerTokens: splitter.answerTokens,
    completionTokens: clock.tokens,
    decodeTokensPerSecond: decodeSeconds > 0 ? round((clock.tokens - 1) / decodeSeconds) : 0,
    loopOverheadPct: decodeSeconds > 0 ? round(100 * (1 - clock.forwardMs / 1000 / decodeSeconds)) : 0,
    totalMs: round(end - clock.start),
    provider: model.provider,
    dtype: model.dtype,
    finishReason,
    thinkingBudgetHit,
    thinkingOpen: splitter.thinkingOpen,
    seed,
  };
}

const round = (x: number) => Math.round(x * 100) / 100;
