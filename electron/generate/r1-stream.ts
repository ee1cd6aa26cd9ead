/**
 * Splits an R1 distill's generated token ids into reasoning and answer text, as it streams.
 *
 * The split is made on token ids (the ids of `<think>`, `</think>` and eos come from the tokenizer), never on decoded
 * text, so a user prompt or an answer that merely mentions "</think>" cannot flip the phase.
 * Text is decoded incrementally with a sliding window (the TGI scheme): a byte-level BPE piece that ends in the middle
 * of a UTF-8 character decodes to U+FFFD, and is held back until the next token completes the character.
 *
 * Rules (they follow the DeepSeek API and vLLM's deepseek_r1 reasoning parser):
 * - Output starts inside the thinking block (the template forces `<think>\n`). A `<think>` before any text is consumed;
 *   a missing opening tag is therefore the normal case.
 * - `</think>` switches to the answer. Thinking left open at the token limit stays reasoning (`thinkingOpen`).
 * - `<think>\n\n</think>` (a skipped thought) gives empty reasoning.
 * - Whitespace at the edges of each part (the `\n` after `<think>`, the `\n\n` after `</think>`) is trimmed while
 *   streaming: trailing whitespace is held back until more text follows, and dropped at the phase's end.
 * - eos ends the stream; any token after it is ignored.
 */
import type { TextPiece } from '../contract/generation';
import type { R1SpecialIds, TokenTextDecoder } from '../tokenizer/model-tokenizer';

export type { R1SpecialIds, TokenTextDecoder };

export type Phase = 'thinking' | 'answer' | 'done';

/** A piece of text: the engine contract's TextPiece. */
export type StreamEvent = TextPiece;

const REPLACEMENT_CHAR = '\uFFFD';
/**
 * A character is at most 4 bytes, so tokens held back this long are not an unfinished character but bytes that never
 * form one (a model can emit them for as long as it likes): they go out as U+FFFD. Without the bound, every step
 * would decode the whole run of them again and a long thought would slow down step after step.
 */
const MAX_HELD_TOKENS = 16;

/** Incremental decoder for one run of tokens: emits only complete characters. */
class IncrementalDecoder {
  private readonly ids: number[] = [];
  private prefixStart = 0;
  private readOffset = 0;

  constructor(private readonly decoder: TokenTextDecoder) {}

  push(id: number): string {
    this.ids.push(id);
    return this.drain(false);
  }

  /** Emits whatever is left, even a broken character (the stream has ended). */
  flush(): string {
    return this.drain(true);
  }

  private drain(final: boolean): string {
    if (this.readOffset >= this.ids.length) return '';
    const prefixText = this.decodeSafe(this.ids.slice(this.prefixStart, this.readOffset));
    const fullText = this.decodeSafe(this.ids.slice(this.prefixStart));
    const held = this.ids.length - this.readOffset;
    if (!final && held < MAX_HELD_TOKENS && (fullText.length <= prefixText.length || fullText.endsWith(REPLACEMENT_CHAR))) return '';
    const fresh = fullText.slice(prefixText.length);
    this.prefixStart = this.readOffset;
    this.readOffset = this.ids.length;
    return fresh;
  }

  // transformers.js refuses an empty id list
  private decodeSafe(ids: number[]): string {
    return ids.length === 0 ? '' : this.decoder.decode(ids);
  }
}

/** Trims leading whitespace of a part and holds its trailing whitespace back until more text arrives. */
class EdgeTrimmer {
  private started = false;
  private heldWhitespace = '';

  accept(text: string): string {
    let t = this.heldWhitespace + text;
    this.heldWhitespace = '';
    if (!this.started) {
      t = t.replace(/^\s+/u, '');
      if (t.length === 0) return '';
      this.started = true;
    }
    const trailing = /\s+$/u.exec(t);
    if (trailing) {
      this.heldWhitespace = trailing[0];
      t = t.slice(0, trailing.index);
    }
    return t;
  }

  get hasText(): boolean {
    return this.started;
  }
}

export class R1StreamSplitter {
  private phaseNow: Phase = 'thinking';
  private decoderNow: IncrementalDecoder;
  private trimmerNow = new EdgeTrimmer();
  private readonly eos: Set<number>;
  private sawEndThink = false;
  thinkingTokens = 0;
  answerTokens = 0;
  reasoning = '';
  answer = '';

  constructor(
    private readonly decoder: TokenTextDecoder,
    private readonly ids: R1SpecialIds,
  ) {
    this.eos = new Set(ids.eos);
    this.decoderNow = new IncrementalDecoder(decoder);
  }

  get phase(): Phase {
    return this.phaseNow;
  }

  /** True when the stream ended (or was cut) before `</think>`: the whole output is reasoning. */
  get thinkingOpen(): boolean {
    return !this.sawEndThink;
  }

  /** Feeds one generated token; returns the text events it completes (often none, sometimes one). */
  push(id: number): StreamEvent[] {
    if (this.phaseNow === 'done') return [];
    if (this.eos.has(id)) return this.finish();
    if (this.phaseNow === 'thinking') return this.pushThinking(id);
    this.answerTokens++;
    return this.emit(this.decoderNow.push(id));
  }

  /** Ends the stream (eos, token limit, stop): flushes held text. Safe to call twice. */
  finish(): StreamEvent[] {
    if (this.phaseNow === 'done') return [];
    const events = this.emit(this.decoderNow.flush());
    this.phaseNow = 'done';
    return events;
  }

  private pushThinking(id: number): StreamEvent[] {
    this.thinkingTokens++;
    if (id === this.ids.think && !this.trimmerNow.hasText) return [];
    if (id !== this.ids.endThink) return this.emit(this.decoderNow.push(id));
    const events = this.emit(this.decoderNow.flush());
    this.sawEndThink = true;
    this.phaseNow = 'answer';
    this.decoderNow = new IncrementalDecoder(this.decoder);
    this.trimmerNow = new EdgeTrimmer();
    return events;
  }

  private emit(raw: string): StreamEvent[] {
    if (raw.length === 0) return [];
    const text = this.trimmerNow.accept(raw);
    if (text.length === 0) return [];
    if (this.phaseNow === 'thinking') {
      this.reasoning += text;
      return [{ type: 'reasoning', text }];
    }
    this.answer += text;
    return [{ type: 'answer', text }];
  }
}

/** Merges consecutive events of the same type (for batching before a send). */
export function mergeEvents(events: StreamEvent[]): StreamEvent[] {
  const merged: StreamEvent[] = [];
  for (const e of events) {
    const last = merged[merged.length - 1];
    if (last && last.type === e.type) last.text += e.text;
    else merged.push({ ...e });
  }
  return merged;
}
