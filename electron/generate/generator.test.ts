import { beforeAll, describe, expect, it } from 'vitest';
import type { EngineError } from '../engine/protocol';
import { httpStatusFor } from '../services/errors';
import { asEngineError } from '../engine/handlers/generate';
import { generate, PromptTooLongError, type GenerationModel } from './generator';
import type { StreamEvent } from './r1-stream';
import type { ModelTokenizer } from '../tokenizer/model-tokenizer';
import { FunctionDecoder, R1_QWEN_EOS, r1TestTokenizer, scriptedDecoder } from '../testing/fake-decoder';

let tok: ModelTokenizer;
let assistantId: number;
beforeAll(async () => {
  tok = await r1TestTokenizer();
  assistantId = tok.encodeChat([{ role: 'user', content: 'x' }]).at(-3)!; // …<｜Assistant｜><think>\n
});

const SCRIPT = 'Let me add: 2 + 2 = 4 🎉.\n</think>\n\nThe answer is \\boxed{4}.';

function modelWith(decoder: FunctionDecoder, contextLength = 4096): GenerationModel {
  return { decoder, tokenizer: tok, provider: 'test', dtype: 'fp32', contextLength };
}

function collect() {
  const events: StreamEvent[] = [];
  return { events, onEvent: (e: StreamEvent) => events.push(e) };
}

describe('generate', () => {
  it('streams the thinking then the answer of a scripted model', async () => {
    const decoder = scriptedDecoder(tok.encode(SCRIPT), assistantId);
    const { events, onEvent } = collect();
    const result = await generate(modelWith(decoder), { messages: [{ role: 'user', content: 'What is 2+2?' }] }, { seed: 1 }, { onEvent });
    expect(result.reasoning).toBe('Let me add: 2 + 2 = 4 🎉.');
    expect(result.answer).toBe('The answer is \\boxed{4}.');
    const firstAnswer = events.findIndex((e) => e.type === 'answer');
    expect(firstAnswer).toBeGreaterThan(1); // several reasoning events before
    expect(events.slice(firstAnswer).every((e) => e.type === 'answer')).toBe(true);
    expect(events.map((e) => e.text).join('')).toBe(result.reasoning + result.answer);
    const s = result.stats;
    expect(s.finishReason).toBe('stop');
    expect(s.completionTokens).toBe(tok.encode(SCRIPT).length + 1); // + eos
    expect(s.thinkingTokens + s.answerTokens + 1).toBe(s.completionTokens);
    expect(s.thinkingOpen).toBe(false);
    expect(s.provider).toBe('test');
    expect(s.timeToFirstTokenMs).toBeGreaterThanOrEqual(0);
    expect(s.decodeTokensPerSecond).toBeGreaterThan(0);
    // the prompt was prefilled in one forward call and then one token per step
    expect(decoder.calls[0].at(-1)).toBe(tok.encode('\n')[0]);
    expect(decoder.calls.slice(1).every((c) => c.length === 1)).toBe(true);
  });

  it('reports the closed thought once, after its last words, with the figures the final stats keep', async () => {
    const decoder = scriptedDecoder(tok.encode(SCRIPT), assistantId);
    const order: string[] = [];
    const thoughts: { ms: number; tokens: number }[] = [];
    const result = await generate(modelWith(decoder), { messages: [{ role: 'user', content: 'What is 2+2?' }] }, { seed: 1 }, {
      onEvent: (e) => order.push(e.type),
      onThoughtClosed: (thought) => {
        thoughts.push(thought);
        order.push('closed');
      },
    });
    expect(thoughts).toEqual([{ ms: result.stats.thinkingMs, tokens: result.stats.thinkingTokens }]);
    const closedAt = order.indexOf('closed');
    expect(order.slice(0, closedAt).every((t) => t === 'reasoning')).toBe(true);
    expect(order.slice(closedAt + 1).every((t) => t === 'answer')).toBe(true);
  });

  it('sends history back without earlier reasoning', async () => {
    const decoder = scriptedDecoder(tok.encode(SCRIPT), assistantId);
    const messages = [
      { role: 'user' as const, content: 'first' },
      { role: 'assistant' as const, content: 'SECRET THOUGHT</think>\n\nfirst answer' },
      { role: 'user' as const, content: 'second' },
    ];
    await generate(modelWith(decoder), { messages }, { seed: 1 });
    const prompt = tok.decode(decoder.calls[0]);
    expect(prompt).toContain('first answer');
    expect(prompt).not.toContain('SECRET');
    expect(prompt.endsWith('<｜Assistant｜><think>\n')).toBe(true);
  });

  it('a second turn and a regenerate run only the prompt tokens after the prefix the cache shares with them', async () => {
    const decoder = scriptedDecoder(tok.encode(SCRIPT), assistantId);
    const model = modelWith(decoder);
    const first = [{ role: 'user' as const, content: 'What is 2+2?' }];
    const reply = await generate(model, { messages: first }, { seed: 1 });
    const firstPrompt = tok.encodeChat(first);
    const held = [...decoder.context];
    // follow-up: the template drops the reasoning (and the `<think>` the first prompt ended with), so the cut falls
    // before the end of what the cache holds
    const followUp = [...first, { role: 'assistant' as const, content: `${reply.reasoning}</think>\n\n${reply.answer}` }, { role: 'user' as const, content: 'And 3+3?' }];
    const followUpPrompt = tok.encodeChat(followUp);
    let common = 0;
    while (held[common] === followUpPrompt[common]) common++;
    expect(common).toBeGreaterThan(firstPrompt.length - 4);
    expect(common).toBeLessThan(held.length);
    decoder.calls = [];
    await generate(model, { messages: followUp }, { seed: 1 });
    expect(decoder.calls[0]).toEqual(followUpPrompt.slice(common));
    // regenerate the second turn: the cache holds that prompt and its reply, so only the prompt's last token runs
    decoder.calls = [];
    await generate(model, { messages: followUp }, { seed: 2 });
    expect(decoder.calls[0]).toEqual(followUpPrompt.slice(-1));
  });

  it('keeps thinking left open at the token limit', async () => {
    const decoder = scriptedDecoder(tok.encode(SCRIPT), assistantId);
    const result = await generate(modelWith(decoder), { messages: [{ role: 'user', content: 'hi' }] }, { maxNewTokens: 4 });
    expect(result.stats.finishReason).toBe('length');
    expect(result.stats.completionTokens).toBe(4);
    expect(result.stats.thinkingOpen).toBe(true);
    expect(result.answer).toBe('');
    expect(result.reasoning.length).toBeGreaterThan(0);
  });

  it('stops mid-stream on abort and returns the partial text', async () => {
    const decoder = scriptedDecoder(tok.encode(SCRIPT), assistantId);
    const controller = new AbortController();
    let count = 0;
    const result = await generate(modelWith(decoder), { messages: [{ role: 'user', content: 'hi' }] }, {}, {
      signal: controller.signal,
      onEvent: () => {
        if (++count === 3) controller.abort();
      },
    });
    expect(result.stats.finishReason).toBe('stopped');
    expect(result.reasoning.length).toBeGreaterThan(0);
    expect(result.answer).toBe('');
    expect(result.stats.completionTokens).toBeLessThan(8);
  });

  it('a request cancelled before it starts (while queued) returns stopped without running the model', async () => {
    const decoder = scriptedDecoder(tok.encode(SCRIPT), assistantId);
    const controller = new AbortController();
    controller.abort();
    const { events, onEvent } = collect();
    const messages = [{ role: 'user' as const, content: 'hi' }];
    const result = await generate(modelWith(decoder), { messages }, { thinkingBudget: 0 }, { signal: controller.signal, onEvent });
    expect(decoder.calls).toEqual([]);
    expect(events).toEqual([]);
    expect(result).toMatchObject({ reasoning: '', answer: '' });
    expect(result.stats).toMatchObject({ finishReason: 'stopped', completionTokens: 0, promptTokens: tok.encodeChat(messages).length });
  });

  it('closes the thought when the thinking budget runs out, then answers', async () => {
    const hmm = tok.encode(' hmm')[0];
    const ok = tok.encode(' OK')[0];
    const endThink = tok.special.endThink;
    const decoder = new FunctionDecoder((ctx) => {
      const closed = ctx.lastIndexOf(endThink) > ctx.lastIndexOf(assistantId);
      if (!closed) return hmm;
      return ctx.at(-1) === ok ? R1_QWEN_EOS : ok;
    });
    const result = await generate(modelWith(decoder), { messages: [{ role: 'user', content: 'hi' }] }, { thinkingBudget: 5 });
    expect(result.reasoning).toBe('hmm hmm hmm hmm hmm');
    expect(result.answer).toBe('OK');
    expect(result.stats.thinkingBudgetHit).toBe(true);
    expect(result.stats.finishReason).toBe('stop');
    // the closing text really went into the model's context
    expect(tok.decode(decoder.context)).toContain('hmm\n</think>\n\n OK');
  });

  it('a thinking budget of 0 skips the thought entirely', async () => {
    const ok = tok.encode(' OK')[0];
    const endThink = tok.special.endThink;
    const decoder = new FunctionDecoder((ctx) => {
      if (!(ctx.lastIndexOf(endThink) > ctx.lastIndexOf(assistantId))) return tok.encode(' hmm')[0];
      return ctx.at(-1) === ok ? R1_QWEN_EOS : ok;
    });
    const result = await generate(modelWith(decoder), { messages: [{ role: 'user', content: 'hi' }] }, { thinkingBudget: 0 });
    expect(result.reasoning).toBe('');
    expect(result.answer).toBe('OK');
    expect(tok.decode(decoder.calls[0]).endsWith('<｜Assistant｜><think>\n\n</think>\n\n')).toBe(true);
  });

  it('same seed → same text; another seed → another text (temperature 0.6, top-p 0.95)', async () => {
    const words = [' a', ' b', ' c', ' d', ' e', ' f'].map((w) => tok.encode(w)[0]);
    const flat = () => {
      const logits = new Float32Array(151936).fill(-100);
      words.forEach((id, i) => (logits[id] = 1 - i * 0.1));
      return logits;
    };
    const run = async (seed: number) =>
      (await generate(modelWith(new FunctionDecoder(flat)), { messages: [{ role: 'user', content: 'hi' }] }, { seed, maxNewTokens: 30 })).reasoning;
    expect(await run(5)).toBe(await run(5));
    expect(await run(5)).not.toBe(await run(6));
  });

  it('refuses a prompt longer than the loaded context as the caller’s error (400), naming both lengths', async () => {
    const decoder = scriptedDecoder([], assistantId);
    const refused = generate(modelWith(decoder, 5), { messages: [{ role: 'user', content: 'hello there' }] });
    await expect(refused).rejects.toBeInstanceOf(PromptTooLongError);
    const error = (await refused.catch((e: Error) => e)) as Error;
    expect(error.message).toMatch(/^The prompt has \d+ tokens but the model was loaded with a 5-token context\./);
    const crossing = asEngineError(error) as EngineError;
    expect(crossing.code).toBe('bad_request');
    expect(httpStatusFor(crossing.code)).toBe(400);
  });

  it('two generations at once alternate their steps', async () => {
    const trace: string[] = [];
    const make = (name: string) =>
      new FunctionDecoder((ctx) => {
        trace.push(name);
        return ctx.length > 40 ? R1_QWEN_EOS : tok.encode(' x')[0];
      });
    const input = { messages: [{ role: 'user' as const, content: 'hi' }] };
    await Promise.all([generate(modelWith(make('A')), input, { seed: 1 }), generate(modelWith(make('B')), input, { seed: 1 })]);
    const firstB = trace.indexOf('B');
    const lastA = trace.lastIndexOf('A');
    expect(firstB).toBeLessThan(lastA); // B started before A finished
    const switches = trace.filter((t, i) => i > 0 && t !== trace[i - 1]).length;
    expect(switches).toBeGreaterThan(10);
  });
});
