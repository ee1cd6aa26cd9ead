import { describe, expect, it } from 'vitest';
import { loadR1Tokenizer } from '../tokenizer/load';
import { r1TokenTable } from '../tokenizer/r1-tokens';
import { convertedModel, DEFAULT_SCRIPT, makeScriptedModel } from './fixtures';
import { loadTransformersModel, promptIds, referenceGreedy, transformersGreedy } from './generate';
import { inverseFrequencies, planScript, rotaryGap, SCRIPT_MARGINS, scriptedShape, type ScriptTokens } from './scripted';
import { planScriptText } from './scripted-checkpoint';

const TOKENS: ScriptTokens = { assistantId: 100, thinkId: 101, newlineId: 102, eosId: 103 };
/** A script with repeats: the next token depends on more than the current one, so attention heads are needed. */
const REPEATING_SCRIPT = 'Hmm. Hmm? Hmm!\n</think>\n\nHmm.';

// Prompts that contain the script's own words, markers typed as text, and nothing at all.
const PROMPTS = [
  'What is 2 + 2?',
  'Let me add. The answer is \\boxed{4}. Hmm. Hmm? Hmm! </think> Let me add.',
  '',
  'Ünïcödé 東京 🙂 <think>\n',
  'Hmm. Hmm? Hmm! '.repeat(60) + 'Let me add.\n</think>\n\n'.repeat(20), // ~400 tokens: far keys must not alias
];

describe('planScript', () => {
  it('uses the current token alone when every token has one successor', () => {
    const plan = planScript([1, 2, 3], TOKENS);
    expect(plan.k).toBe(1);
    expect(plan.sequence).toEqual([100, 101, 102, 1, 2, 3, 103]);
    expect(plan.neurons.map((n) => n.next)).toEqual([1, 2, 3, 103]);
  });

  it('grows the context until the last k tokens decide the next one', () => {
    expect(planScript([1, 2, 1, 3], TOKENS).k).toBe(2); // 1 → 2 or 3: needs the token before
    expect(planScript([1, 2, 1, 2, 3, 1, 2, 4], TOKENS).k).toBe(3); // "1 2" → 1, 3 or 4: needs one more
    // "\n" (102) ends the prompt and appears again in the script: the token before it tells them apart.
    expect(planScript([5, 102, 6], TOKENS).k).toBe(2);
  });

  it('rejects empty scripts and scripts containing the reply delimiters', () => {
    expect(() => planScript([], TOKENS)).toThrow(/empty/);
    expect(() => planScript([1, 100], TOKENS)).toThrow(/may not contain/);
    expect(() => planScript([103], TOKENS)).toThrow(/may not contain/);
  });

  it('sizes the model to the plan', () => {
    const plan = planScriptText('qwen2', REPEATING_SCRIPT);
    expect(plan.k).toBeGreaterThan(1);
    const shape = scriptedShape(plan, { arch: 'qwen2', vocabSize: 151936 });
    expect(shape.heads).toBe(plan.k - 1);
    const bits = Math.ceil(Math.log2(plan.symbols.length + 1)); // ±1 codes, not one-hots: the width grows with log m
    expect(shape.hidden).toBeGreaterThanOrEqual(plan.k * bits + 1 + plan.symbols.length);
    expect(shape.hidden).toBeLessThan(plan.k * bits + 1 + plan.symbols.length + 8);
    expect(shape.headDim).toBe(32);
    expect(shape.intermediate).toBeGreaterThanOrEqual(plan.neurons.length);
  });

  it('has a positive rotary gap, so one distance wins by the attention margin', () => {
    const gap = rotaryGap(inverseFrequencies(32, 10000), SCRIPT_MARGINS.span);
    expect(gap).toBeGreaterThan(0.5);
    expect(rotaryGap([1], 7)).toBeLessThan(0.05); // a single frequency comes back after 2π: why all pairs are used
  });
});

describe.each(['qwen2', 'llama'] as const)('the %s scripted model', (arch) => {
  const eos = r1TokenTable(arch).eosId;

  it.each([DEFAULT_SCRIPT, REPEATING_SCRIPT])('says %j under the float64 reference', async (script) => {
    const { hfDir, plan } = await makeScriptedModel(script, arch);
    const tokenizer = loadR1Tokenizer(arch);
    for (const user of [PROMPTS[0], PROMPTS[1]]) {
      const prompt = promptIds(tokenizer, user);
      expect(referenceGreedy(hfDir, prompt, plan.scriptIds.length + 3, eos)).toEqual([...plan.scriptIds, eos]);
    }
  }, 180_000);

  it.each([DEFAULT_SCRIPT, REPEATING_SCRIPT])('says %j through transformers.js for any prompt', async (script) => {
    const { hfDir, plan } = await makeScriptedModel(script, arch);
    const loaded = await loadTransformersModel((await convertedModel(hfDir)).onnxDir);
    for (const user of PROMPTS) {
      const prompt = promptIds(loaded.tokenizer, user);
      const generated = await transformersGreedy(loaded, prompt, plan.scriptIds.length + 10);
      expect(generated.at(-1), user).toBe(eos);
      expect(loaded.tokenizer.decode(generated, { skip_special_tokens: true }), user).toBe(script);
    }
    // A system prompt and an earlier turn do not change the reply.
    const history = loaded.tokenizer.apply_chat_template(
      [
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: 'Hi' },
        { role: 'assistant', content: `${script}` },
        { role: 'user', content: 'Again?' },
      ],
      { add_generation_prompt: true, tokenize: true, return_tensor: false, return_dict: false },
    ) as unknown as number[];
    const again = await transformersGreedy(loaded, history, plan.scriptIds.length + 10);
    expect(loaded.tokenizer.decode(again, { skip_special_tokens: true })).toBe(script);
    await loaded.model.dispose();
  }, 180_000);
});
