/**
 * R1 tokenizer files whose DeepSeek markers sit on other ids than the real checkpoints' (swapped with other added
 * tokens of the same vocabulary), to prove that training reads the ids from the folder rather than from a table.
 */
import fs from 'node:fs';
import path from 'node:path';
import { buildR1Tokenizer } from '../tokenizer/r1-tokenizer';
import type { TokenizerFamily } from '../tokenizer/r1-tokens';

interface AddedToken { id: number; content: string; special: boolean; [key: string]: unknown }

/**
 * Writes tokenizer.json + tokenizer_config.json into `dir` with each marker of `ids` moved to its id (the added token
 * that held that id takes the marker's old one). `drop` removes markers entirely.
 */
export function writeRemappedR1Tokenizer(dir: string, family: TokenizerFamily, ids: Record<string, number>, drop: string[] = []): void {
  const { tokenizer, tokenizerConfig } = structuredClone(buildR1Tokenizer(family));
  let added = tokenizer.added_tokens as AddedToken[];
  for (const [content, id] of Object.entries(ids)) {
    const marker = added.find((t) => t.content === content);
    if (!marker) throw new Error(`no added token ${content} in the ${family} tokenizer`);
    const holder = added.find((t) => t.id === id);
    if (holder) holder.id = marker.id;
    marker.id = id;
  }
  added = added.filter((t) => !drop.includes(t.content)).sort((a, b) => a.id - b.id);
  tokenizer.added_tokens = added;
  tokenizerConfig.added_tokens_decoder = Object.fromEntries(added.map((t) => [String(t.id), { content: t.content, lstrip: false, normalized: false, rstrip: false, single_word: false, special: t.special }]));
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'tokenizer.json'), JSON.stringify(tokenizer));
  fs.writeFileSync(path.join(dir, 'tokenizer_config.json'), JSON.stringify(tokenizerConfig, null, 2));
}
