import { describe, expect, it } from 'vitest';
import type { NamedTensor } from './adapter';
import { judgeBoxedAnswer } from './judge';
import { baseParams, evaluateRun, splitThinking, type AnswerGenerator, type ExtraEvent } from './run-extras';

const params = new Map<string, NamedTensor>([
  ['base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight', { shape: [1, 2], data: Float32Array.from([0.5, -0.5]) }],
  ['base_model.model.model.layers.0.self_attn.q_proj.lora_B.weight', { shape: [2, 1], data: Float32Array.from([0.25, 1]) }],
]);
const record = (question: string, answer: string) => ({ inputIds: [1, 2], targetMask: [0, 1], text: { question, answer } });

describe('run evaluation', () => {
  it('"before" is the base: every lora_B zeroed, lora_A kept', () => {
    const before = baseParams(params);
    expect([...before.get('base_model.model.model.layers.0.self_attn.q_proj.lora_B.weight')!.data]).toEqual([0, 0]);
    expect(before.get('base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight')).toBe(params.get('base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight'));
  });

  it('counts accuracy over references with a \\boxed answer only, before vs after, with progress', async () => {
    // a fake model: the base answers 5 to everything; the trained adapter answers the true sum
    const generator = {
      answer: async (question: string, p: Map<string, NamedTensor>) => {
        const trained = [...p.values()].some((t) => t.data.some((v) => v !== 0) && t.shape[1] === 1);
        const [a, b] = question.match(/\d+/g)!.map(Number);
        return { reasoning: 'adding', answer: `The answer is \\boxed{${trained ? a + b : 5}}.`, tokens: 6 };
      },
    } as unknown as AnswerGenerator;
    const events: ExtraEvent[] = [];
    const evaluation = await evaluateRun(
      { params, validationLoss: async (p) => (p === params ? 1.5 : 2.5) },
      {
        validation: [record('What is 2 + 3?', 'so \\boxed{5}'), record('What is 4 + 4?', '\\boxed{8}'), record('What is 1 + 1?', 'two, no box')],
        questions: 20, maxNewTokens: 8, generator, judge: judgeBoxedAnswer, emit: (e) => events.push(e),
      },
    );
    expect(evaluation).toEqual({ lossBefore: 2.5, lossAfter: 1.5, questions: 3, boxedQuestions: 2, accuracyBefore: 0.5, accuracyAfter: 1 });
    expect(events.map((e) => (e.type === 'evaluating' ? e.done : -1))).toEqual([0, 1, 2, 3]);
  });

  it('caps the questions asked', async () => {
    let asked = 0;
    const generator = { answer: async () => ((asked += 1), { reasoning: '', answer: '\\boxed{1}', tokens: 1 }) } as unknown as AnswerGenerator;
    const validation = Array.from({ length: 10 }, (_, i) => record(`q${i}`, '\\boxed{1}'));
    const evaluation = await evaluateRun({ params, validationLoss: async () => 1 }, { validation, questions: 3, maxNewTokens: 4, generator, judge: judgeBoxedAnswer, emit: () => {} });
    expect(asked).toBe(6); // before and after for each of the 3
    expect(evaluation).toMatchObject({ questions: 3, boxedQuestions: 3, accuracyBefore: 1, accuracyAfter: 1 });
  });

  it('splits a generation at </think> (it starts inside the thought)', () => {
    expect(splitThinking('Let me add.\n</think>\n\nThe answer is 4.')).toEqual({ reasoning: 'Let me add.', answer: 'The answer is 4.' });
    expect(splitThinking('still thinking')).toEqual({ reasoning: 'still thinking', answer: '' });
  });
});
