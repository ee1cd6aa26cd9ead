/**
 * The DeepSeek-R1 distill special tokens, one data table per tokenizer family.
 *
 * The distills reuse the base vocabularies (Qwen2.5 BPE, Llama 3.1 BPE) and put DeepSeek's chat markers on ids that
 * the base tokenizer used for its own control tokens. Items marked (check) below were not
 * confirmed against an original download; keeping them here, in one place, makes them a one-line fix.
 * The markers use the fullwidth bar ｜ (U+FF5C) and ▁ (U+2581), never ASCII.
 */

export type TokenizerFamily = 'qwen2' | 'llama';

export const BOS = '<｜begin▁of▁sentence｜>';
export const EOS = '<｜end▁of▁sentence｜>';
export const USER = '<｜User｜>';
export const ASSISTANT = '<｜Assistant｜>';
export const THINK = '<think>';
export const END_THINK = '</think>';

export interface R1AddedToken {
  id: number;
  content: string;
  /** special=true tokens are removed by decode(skip_special_tokens); the think tags must survive it. */
  special: boolean;
}

export interface R1TokenTable {
  family: TokenizerFamily;
  /** Tokens that replace the base tokenizer's entries on the same ids. */
  overrides: R1AddedToken[];
  /** Base added tokens kept from the package, by id range [first, last] inclusive; everything else is dropped. */
  keepBaseAddedIds: [number, number];
  bosId: number;
  eosId: number;
  padToken: string;
  /** vocab_size of the real checkpoints' embedding matrix (rows beyond the tokenizer are padding). */
  modelVocabSizes: number[];
}

export const QWEN2_R1_TOKENS: R1TokenTable = {
  family: 'qwen2',
  overrides: [
    { id: 151643, content: EOS, special: true },
    { id: 151644, content: USER, special: false }, // (check) special flag
    { id: 151645, content: ASSISTANT, special: false }, // (check) special flag
    { id: 151646, content: BOS, special: true },
    { id: 151647, content: '<|EOT|>', special: false }, // (check) special flag
    { id: 151648, content: THINK, special: false },
    { id: 151649, content: END_THINK, special: false },
  ],
  // Qwen2.5's <|quad_start|> … <|file_sep|>; Qwen3's 151665+ (tool_response, its own think tags) are not in R1.
  keepBaseAddedIds: [151650, 151664],
  bosId: 151646,
  eosId: 151643,
  padToken: EOS,
  modelVocabSizes: [151936, 152064],
};

export const LLAMA_R1_TOKENS: R1TokenTable = {
  family: 'llama',
  overrides: [
    { id: 128000, content: BOS, special: true },
    { id: 128001, content: EOS, special: true }, // (check) eos id, esp. the 70B's generation_config
    { id: 128011, content: USER, special: false }, // (check)
    { id: 128012, content: ASSISTANT, special: false }, // (check)
    { id: 128013, content: THINK, special: false }, // (check)
    { id: 128014, content: END_THINK, special: false }, // (check)
    { id: 128015, content: '<｜▁pad▁｜>', special: true }, // (check)
  ],
  keepBaseAddedIds: [128000, 128255],
  bosId: 128000,
  eosId: 128001,
  padToken: EOS,
  modelVocabSizes: [128256],
};

export function r1TokenTable(family: TokenizerFamily): R1TokenTable {
  if (family === 'qwen2') return QWEN2_R1_TOKENS;
  if (family === 'llama') return LLAMA_R1_TOKENS;
  throw new Error(`No R1 tokenizer for model family "${String(family)}": use "qwen2" or "llama".`);
}

/** The id of a marker in a family's table; throws if the table does not define it. */
export function r1TokenId(family: TokenizerFamily, content: string): number {
  const hit = r1TokenTable(family).overrides.find((t) => t.content === content);
  if (!hit) throw new Error(`The ${family} R1 tokenizer has no token ${JSON.stringify(content)}.`);
  return hit.id;
}
