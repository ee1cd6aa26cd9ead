/**
 * The R1 supervised-training string of a trace: the prompt as the chat template renders it (earlier turns with their
 * answers only), then `<think>\n{reasoning}\n</think>\n\n{answer}` and eos. Training tokenizes the same string
 * through the model's own template (electron/train/tokenize.ts); this text form measures lengths without a model.
 */
import { renderR1Prompt, type ChatMessage } from '../tokenizer/chat-template';
import { ASSISTANT, END_THINK, EOS, THINK } from '../tokenizer/r1-tokens';
import type { TraceFields } from './formats';

export function traceMessages(trace: TraceFields): ChatMessage[] {
  return [...(trace.turns ?? []), { role: 'user', content: trace.question }];
}

/** The completion the loss covers (after `<｜Assistant｜>`), without eos. */
export function traceCompletion(trace: TraceFields): string {
  return `${THINK}\n${trace.reasoning}\n${END_THINK}\n\n${trace.answer}`;
}

export function trainingText(trace: TraceFields): string {
  return `${renderR1Prompt(traceMessages(trace), false)}${ASSISTANT}${traceCompletion(trace)}${EOS}`;
}
