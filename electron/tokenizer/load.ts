/**
 * The R1 tokenizers as transformers.js tokenizer objects, built in memory (no folder, no network).
 * Kept apart from r1-tokenizer.ts so that writing tokenizer files does not load transformers.js.
 */
import { PreTrainedTokenizer } from '@huggingface/transformers';
import { buildR1Tokenizer } from './r1-tokenizer';
import type { TokenizerFamily } from './r1-tokens';

const loaded = new Map<TokenizerFamily, PreTrainedTokenizer>();

export function loadR1Tokenizer(family: TokenizerFamily): PreTrainedTokenizer {
  let tokenizer = loaded.get(family);
  if (!tokenizer) {
    const files = buildR1Tokenizer(family);
    // The constructor takes the parsed tokenizer.json and tokenizer_config.json (its .d.ts omits it).
    const Ctor = PreTrainedTokenizer as unknown as new (json: object, config: object) => PreTrainedTokenizer;
    tokenizer = new Ctor(files.tokenizer, files.tokenizerConfig);
    loaded.set(family, tokenizer);
  }
  return tokenizer;
}

/** Token ids of `text` with no bos added. */
export function encodePlain(family: TokenizerFamily, text: string): number[] {
  return loadR1Tokenizer(family).encode(text, { add_special_tokens: false });
}
