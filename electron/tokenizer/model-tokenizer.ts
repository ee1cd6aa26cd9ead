/**
 * A model folder's tokenizer through transformers.js (offline): the chat template renders the prompt (it forces
 * `<think>\n` and strips earlier reasoning), and the think-tag and eos ids come from the files, never from constants.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { PreTrainedTokenizer } from '@huggingface/transformers';

export interface TokenTextDecoder {
  /** Decodes ids to text without cleaning up spaces. Special tokens may be kept: the splitter never feeds them. */
  decode(ids: number[]): string;
}

export interface R1SpecialIds {
  think: number;
  endThink: number;
  eos: readonly number[];
}

export interface ChatTurn {
  role: 'system' | 'user' | 'assistant';
  content: string;
}

export interface ModelTokenizer extends TokenTextDecoder {
  readonly special: R1SpecialIds;
  /** Prompt ids for a conversation, ending with the generation prompt (`<｜Assistant｜><think>\n`). */
  encodeChat(messages: ChatTurn[]): number[];
  /** Plain text, no bos. */
  encode(text: string): number[];
}

export async function loadModelTokenizer(dir: string, eosIds: number[]): Promise<ModelTokenizer> {
  return wrapTokenizer(await loadFolderTokenizer(dir), eosIds);
}

/** The folder's tokenizer.json + tokenizer_config.json (chat template included), offline. Training uses it too. */
export async function loadFolderTokenizer(dir: string): Promise<PreTrainedTokenizer> {
  // Loaded on first use: transformers.js takes longer to import than the rest of the CLI together.
  const { AutoTokenizer, env } = await import('@huggingface/transformers');
  env.allowRemoteModels = false;
  try {
    return await AutoTokenizer.from_pretrained(dir, { local_files_only: true });
  } catch (err) {
    throw new Error(`Could not load the tokenizer in ${dir}: ${(err as Error).message}. Check tokenizer.json and tokenizer_config.json.`);
  }
}

/**
 * A folder's tokenizer files checked when a model is converted or added, so a damaged tokenizer.json is reported then,
 * naming the file, rather than by the first chat. Structural and quick (no tokenizer is built: adding a model must not
 * wait for transformers.js): both files parse, the vocabulary is there, and so are the <think> tokens R1 needs.
 */
export async function checkTokenizerFiles(dir: string): Promise<void> {
  const file = join(dir, 'tokenizer.json');
  const json = await readJsonFile(file) as { model?: { vocab?: unknown }; added_tokens?: unknown };
  const vocab = json?.model?.vocab;
  if (typeof vocab !== 'object' || vocab === null) {
    throw new Error(`${file} is not a Hugging Face tokenizer (it has no "model" with a "vocab"): copy it again from the original model.`);
  }
  const added = Array.isArray(json.added_tokens) ? (json.added_tokens as { content?: unknown }[]).map((t) => t?.content) : [];
  const has = (token: string) => added.includes(token) || (!Array.isArray(vocab) && token in vocab);
  if (!has('<think>') || !has('</think>')) {
    throw new Error(`${file} has no <think>/</think> tokens: this is not a DeepSeek-R1 distill tokenizer.`);
  }
  const config = join(dir, 'tokenizer_config.json');
  const parsed = await readJsonFile(config);
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error(`${config} is not a JSON object: copy it again from the original model.`);
}

async function readJsonFile(file: string): Promise<unknown> {
  try {
    return JSON.parse(await readFile(file, 'utf8'));
  } catch (err) {
    throw new Error(`${file} is not valid JSON (${(err as Error).message}): copy it again from the original model.`);
  }
}

export function wrapTokenizer(tok: PreTrainedTokenizer, eosIds: number[]): ModelTokenizer {
  const [think, endThink] = tok.convert_tokens_to_ids(['<think>', '</think>']);
  if (typeof think !== 'number' || typeof endThink !== 'number' || think === tok.unk_token_id) {
    throw new Error('The tokenizer has no <think>/</think> tokens: this does not look like an R1 distill.');
  }
  const eos = eosIds.length > 0 ? eosIds : [tok.eos_token_id];
  return {
    special: { think, endThink, eos },
    decode: (ids) => (ids.length === 0 ? '' : tok.decode(ids, { skip_special_tokens: false })),
    encode: (text) => (text.length === 0 ? [] : tok.encode(text, { add_special_tokens: false })),
    encodeChat(messages) {
      if (!tok.chat_template) throw new Error('tokenizer_config.json has no chat_template: re-convert the model.');
      const ids = tok.apply_chat_template(messages, {
        add_generation_prompt: true,
        tokenize: true,
        return_tensor: false,
        return_dict: false,
      }) as unknown as number[];
      return Array.from(ids, Number);
    },
  };
}
