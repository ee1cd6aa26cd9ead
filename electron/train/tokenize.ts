/**
 * Training tokens from the base checkpoint's own tokenizer.json and chat template — the path generation uses —
 * so a Llama and a Qwen distill each train on the ids their files assign to `<｜User｜>`, `<｜Assistant｜>`,
 * `<think>` and `</think>`. A folder whose tokenizer lacks one of them is refused: training on the wrong ids would
 * teach the model a format it never sees at inference.
 */
import type { PreTrainedTokenizer } from '@huggingface/transformers';
import { loadFolderTokenizer } from '../tokenizer/model-tokenizer';
import { ASSISTANT, END_THINK, THINK, USER } from '../tokenizer/r1-tokens';
import type { TraceFields } from '../traces';
import { traceCompletion, traceMessages } from '../traces/training-text';

export interface MarkerIds {
  user: number;
  assistant: number;
  think: number;
  endThink: number;
  eos: number;
}

export interface TrainingTokenizer {
  readonly markers: MarkerIds;
  /** Plain text, no bos added (the training string carries its own). */
  encode(text: string): number[];
  /** The R1 training string of a trace as ids; tokens from `lossStart` on (the assistant part) carry the loss. */
  encodeTrace(trace: TraceFields): { ids: number[]; lossStart: number };
  /** One token's text, special tokens kept (for the preview). */
  tokenText(id: number): string;
}

export async function loadTrainingTokenizer(modelFolder: string): Promise<TrainingTokenizer> {
  return trainingTokenizer(await loadFolderTokenizer(modelFolder), modelFolder);
}

export function trainingTokenizer(tok: PreTrainedTokenizer, where = 'this model folder'): TrainingTokenizer {
  const encode = (text: string): number[] => (text.length === 0 ? [] : tok.encode(text, { add_special_tokens: false }));
  const marker = (content: string): number => {
    const ids = encode(content);
    if (ids.length !== 1 || ids[0] === tok.unk_token_id) {
      throw new Error(
        `The tokenizer in ${where} has no ${content} token (it encodes to ${ids.length} tokens): this is not a DeepSeek-R1 distill tokenizer. ` +
          'Train on the Hugging Face checkpoint of an R1 distill, with its own tokenizer.json and tokenizer_config.json.',
      );
    }
    return ids[0];
  };
  const eos = tok.eos_token_id;
  if (typeof eos !== 'number' || !tok.eos_token) throw new Error(`The tokenizer in ${where} has no eos token: check tokenizer_config.json.`);
  const markers: MarkerIds = { user: marker(USER), assistant: marker(ASSISTANT), think: marker(THINK), endThink: marker(END_THINK), eos };
  if (!tok.chat_template) throw new Error(`${where}: tokenizer_config.json has no chat_template, so the training prompt cannot be rendered.`);
  const generationSuffix = `${THINK}\n`;
  return {
    markers,
    encode,
    tokenText: (id) => tok.decode([id], { skip_special_tokens: false }),
    encodeTrace(trace) {
      const prompt = tok.apply_chat_template(traceMessages(trace), { add_generation_prompt: true, tokenize: false }) as string;
      if (!prompt.endsWith(`${ASSISTANT}${generationSuffix}`)) {
        throw new Error(`${where}: the chat template does not end the prompt with ${ASSISTANT}${THINK}: not an R1 distill template.`);
      }
      const prefix = prompt.slice(0, -generationSuffix.length); // up to and including <｜Assistant｜>
      const ids = encode(`${prefix}${traceCompletion(trace)}${tok.eos_token}`);
      // Markers are added tokens, so the text before and after <｜Assistant｜> tokenizes independently.
      const lossStart = encode(prefix).length;
      if (ids[lossStart - 1] !== markers.assistant) throw new Error(`${where}: the prompt did not tokenize to end at ${ASSISTANT}.`);
      return { ids, lossStart };
    },
  };
}
