/** One trace as training sees it: every token with its text and whether the loss covers it (the assistant part). */
import type { TraceFields } from '../traces';
import type { TrainingTokenizer } from './tokenize';

export interface PreviewToken {
  text: string;
  id: number;
  loss: boolean;
}

export function previewTrainingTokens(tokenizer: TrainingTokenizer, trace: TraceFields): { tokens: PreviewToken[] } {
  const { ids, lossStart } = tokenizer.encodeTrace(trace);
  return { tokens: ids.map((id, i) => ({ id, text: tokenizer.tokenText(id), loss: i >= lossStart })) };
}
