/**
 * Test helpers: decoders written in plain TypeScript (no ONNX) whose next token is a function of the context, and an
 * R1 tokenizer folder. They let the generation loop's logic be tested exactly; the ORT path is tested separately.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { writeR1TokenizerFiles } from '../tokenizer/r1-tokenizer';
import type { DecoderModel } from '../generate/ort-decoder';
import { loadModelTokenizer, type ModelTokenizer } from '../tokenizer/model-tokenizer';

export const R1_QWEN_EOS = 151643;
export const R1_QWEN_VOCAB = 151936;

let tokenizer: Promise<ModelTokenizer> | undefined;

/** The R1 qwen2 tokenizer (real Qwen2.5 vocab + DeepSeek markers), loaded once per test file. */
export function r1TestTokenizer(): Promise<ModelTokenizer> {
  tokenizer ??= (async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'distillery-r1tok-'));
    writeR1TokenizerFiles(dir, 'qwen2');
    return loadModelTokenizer(dir, [R1_QWEN_EOS]);
  })();
  return tokenizer;
}

export function oneHot(id: number, vocab = R1_QWEN_VOCAB, margin = 30): Float32Array {
  const logits = new Float32Array(vocab);
  logits[id] = margin;
  return logits;
}

export class FunctionDecoder implements DecoderModel {
  context: number[] = [];
  calls: number[][] = [];

  constructor(private readonly next: (context: number[]) => number | Float32Array) {}

  get length(): number {
    return this.context.length;
  }

  reset(): void {
    this.context = [];
  }

  reuse(ids: readonly number[]): number {
    let common = 0;
    while (common < Math.min(this.context.length, ids.length - 1) && this.context[common] === ids[common]) common++;
    this.context.length = common;
    return common;
  }

  async forward(ids: number[]): Promise<Float32Array> {
    this.calls.push([...ids]);
    this.context.push(...ids);
    const out = this.next(this.context);
    return typeof out === 'number' ? oneHot(out) : out;
  }
}

/** A decoder that, after the generation prompt `<｜Assistant｜><think>\n`, says `script` then eos, whatever the prompt. */
export function scriptedDecoder(scriptIds: number[], assistantId: number, eos = R1_QWEN_EOS): FunctionDecoder {
  return new FunctionDecoder((context) => {
    const start = context.lastIndexOf(assistantId) + 3;
    const i = context.length - start;
    return i < scriptIds.length ? scriptIds[i] : eos;
  });
}
