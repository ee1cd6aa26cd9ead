import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AutoTokenizer, env, type PreTrainedTokenizer } from '@huggingface/transformers';
import { renderR1Prompt, type ChatMessage } from './chat-template';
import { trainingTokenizer } from '../train/tokenize';
import { trainingText } from '../traces/training-text';
import { encodePlain, loadR1Tokenizer } from './load';
import { r1TokenizerSize, writeR1TokenizerFiles } from './r1-tokenizer';
import { BOS, r1TokenTable, type TokenizerFamily } from './r1-tokens';

const EXPECTED = {
  qwen2: { bos: 151646, eos: 151643, user: 151644, assistant: 151645, think: 151648, endThink: 151649, newline: 198, size: 151665 },
  llama: { bos: 128000, eos: 128001, user: 128011, assistant: 128012, think: 128013, endThink: 128014, newline: 198, size: 128256 },
} as const;

const CONVERSATIONS: ChatMessage[][] = [
  [{ role: 'user', content: 'What is 2+2?' }],
  [
    { role: 'system', content: 'Be brief.' },
    { role: 'user', content: 'What is 2+2?' },
    { role: 'assistant', content: '<think>\nadding\n</think>\n\nFour.' },
    { role: 'user', content: 'And 3 + 3 ?' },
  ],
  [{ role: 'user', content: 'Résumé: 東京 ｜ emoji 🙂 and <think> inside' }],
];

let root: string;
const tokenizers = new Map<TokenizerFamily, PreTrainedTokenizer>();

beforeAll(async () => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'r1-tokenizer-'));
  env.allowRemoteModels = false;
  env.allowLocalModels = true;
  env.localModelPath = root;
  env.cacheDir = path.join(root, 'cache');
  for (const family of ['qwen2', 'llama'] as const) {
    writeR1TokenizerFiles(path.join(root, family), family);
    tokenizers.set(family, await AutoTokenizer.from_pretrained(family));
  }
});

afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

describe.each(['qwen2', 'llama'] as const)('R1 %s tokenizer', (family) => {
  const expected = EXPECTED[family];

  it('puts the DeepSeek markers on their ids, with fullwidth characters', () => {
    const tokenizer = tokenizers.get(family)!;
    const ids = (text: string) => tokenizer.encode(text, { add_special_tokens: false });
    expect(ids('<｜begin▁of▁sentence｜>')).toEqual([expected.bos]);
    expect(ids('<｜end▁of▁sentence｜>')).toEqual([expected.eos]);
    expect(ids('<｜User｜>')).toEqual([expected.user]);
    expect(ids('<｜Assistant｜>')).toEqual([expected.assistant]);
    expect(ids('<think>')).toEqual([expected.think]);
    expect(ids('</think>')).toEqual([expected.endThink]);
    expect(BOS).toContain('\uFF5C');
    expect(BOS).toContain('\u2581');
    expect(ids('<|User|>')).not.toEqual([expected.user]); // ASCII bars are plain text
    expect(tokenizer.bos_token_id).toBe(expected.bos);
    expect(tokenizer.eos_token_id).toBe(expected.eos);
    expect(r1TokenizerSize(family)).toBe(expected.size);
    expect(r1TokenTable(family).modelVocabSizes[0]).toBeGreaterThanOrEqual(expected.size);
  });

  it('applies the chat template to bos, User, text, Assistant, <think>, "\\n"', () => {
    const tokenizer = tokenizers.get(family)!;
    const text = 'What is 2+2? Answer in one word.';
    const encoded = tokenizer.apply_chat_template([{ role: 'user', content: text }], {
      add_generation_prompt: true,
      tokenize: true,
      return_tensor: false,
      return_dict: false,
    }) as unknown as number[];
    const body = encodePlain(family, text);
    expect(body.length).toBeGreaterThan(3);
    expect(encoded).toEqual([expected.bos, expected.user, ...body, expected.assistant, expected.think, expected.newline]);
  });

  it('renders system first, strips earlier reasoning, and matches renderR1Prompt', () => {
    const tokenizer = tokenizers.get(family)!;
    for (const messages of CONVERSATIONS) {
      const jinja = tokenizer.apply_chat_template(messages, { add_generation_prompt: true, tokenize: false }) as string;
      expect(jinja).toBe(renderR1Prompt(messages));
    }
    const history = tokenizer.apply_chat_template(CONVERSATIONS[1], { add_generation_prompt: true, tokenize: false }) as string;
    expect(history).toBe(
      '<｜begin▁of▁sentence｜>Be brief.<｜User｜>What is 2+2?<｜Assistant｜>\n\nFour.<｜end▁of▁sentence｜>' +
        '<｜User｜>And 3 + 3 ?<｜Assistant｜><think>\n',
    );
    const closed = tokenizer.apply_chat_template(CONVERSATIONS[0], { add_generation_prompt: false, tokenize: false });
    expect(closed).toBe('<｜begin▁of▁sentence｜><｜User｜>What is 2+2?');
  });

  it('keeps the think tags when decoding with skip_special_tokens, drops bos and eos', () => {
    const tokenizer = loadR1Tokenizer(family);
    const ids = [expected.bos, ...encodePlain(family, '<think>\nhmm\n</think>\n\n42'), expected.eos];
    expect(tokenizer.decode(ids, { skip_special_tokens: true })).toBe('<think>\nhmm\n</think>\n\n42');
    expect(tokenizer.decode(ids)).toBe('<｜begin▁of▁sentence｜><think>\nhmm\n</think>\n\n42<｜end▁of▁sentence｜>');
  });

  it('round-trips arbitrary text through the real byte-level vocabulary', () => {
    const text = 'Ünïcödé 東京 🙂\n\n  indented\tcode() {}\n\\boxed{\\frac{1}{2}}';
    expect(loadR1Tokenizer(family).decode(encodePlain(family, text))).toBe(text);
  });

  it('builds the training string with the loss starting after <｜Assistant｜>', () => {
    const trace = { question: 'What is 2+2?', reasoning: 'Two plus two is four.', answer: 'The answer is 4.' };
    const text = trainingText(trace);
    expect(text).toBe(
      '<｜begin▁of▁sentence｜><｜User｜>What is 2+2?<｜Assistant｜><think>\nTwo plus two is four.\n</think>\n\nThe answer is 4.<｜end▁of▁sentence｜>',
    );
    const ids = encodePlain(family, text);
    expect(ids[0]).toBe(expected.bos);
    expect(ids.filter((id) => id === expected.bos)).toHaveLength(1);
    expect(ids.at(-1)).toBe(expected.eos);
    // The training tokenizer renders the prompt through the folder's chat template: same ids as the plain string.
    const example = trainingTokenizer(tokenizers.get(family)!).encodeTrace(trace);
    expect(example.ids).toEqual(ids);
    expect(example.ids[example.lossStart - 1]).toBe(expected.assistant);
    expect(example.ids[example.lossStart]).toBe(expected.think);
  });
});
