/** Each trace format of the table, and each named repair/skip, record by record. */
import { describe, expect, it } from 'vitest';
import { extractRecord, type Extraction, type FieldMap } from './formats';
import { parseFieldMap } from './field-map';
import { REPAIR, Repairs, SKIP, splitReasoning, TraceSkip } from './text';
import { extractTextBlock, splitBlocks } from './text-file';

function extract(value: unknown, map?: FieldMap): Extraction & { repairs: string[] } {
  const repairs = new Repairs();
  const result = extractRecord(value, repairs, map);
  return { ...result, repairs: [...repairs.names] };
}

function skipOf(fn: () => unknown): TraceSkip {
  try {
    fn();
  } catch (error) {
    if (error instanceof TraceSkip) return error;
    throw error;
  }
  throw new Error('expected a skip');
}

const user = (content: string) => ({ role: 'user', content });
const assistant = (content: unknown, extra: Record<string, unknown> = {}) => ({ role: 'assistant', content, ...extra });

describe('splitReasoning', () => {
  it('splits <think>…</think> and trims', () => {
    const r = new Repairs();
    expect(splitReasoning('<think>\nhmm\n</think>\n\nYes.', r)).toEqual({ reasoning: 'hmm', answer: 'Yes.' });
    expect([...r.names]).toEqual([]);
  });

  it('adds the missing opening tag, and names the repair', () => {
    const r = new Repairs();
    expect(splitReasoning('hmm\n</think>\n\nYes.', r)).toEqual({ reasoning: 'hmm', answer: 'Yes.' });
    expect([...r.names]).toEqual([REPAIR.missingThink]);
  });

  it('removes nested or duplicate tags from the reasoning', () => {
    const r = new Repairs();
    expect(splitReasoning('<think><think>a</think> b</think> c', r)).toEqual({ reasoning: 'a b', answer: 'c' });
    expect([...r.names]).toEqual([REPAIR.nestedTags]);
  });

  it('turns CRLF into LF and strips a BOM', () => {
    const r = new Repairs();
    expect(splitReasoning('\uFEFF<think>\r\na\r\nb\r\n</think>\r\n\r\nc', r)).toEqual({ reasoning: 'a\nb', answer: 'c' });
    expect([...r.names].sort()).toEqual([REPAIR.bom, REPAIR.crlf].sort());
  });

  it('skips unclosed thoughts, empty parts and text without reasoning', () => {
    expect(skipOf(() => splitReasoning('<think>and then', new Repairs())).reason).toBe(SKIP.unclosed);
    expect(skipOf(() => splitReasoning('<think>a</think>b<think>c', new Repairs())).reason).toBe(SKIP.unclosed);
    expect(skipOf(() => splitReasoning('<think> </think>answer', new Repairs())).reason).toBe(SKIP.emptyReasoning);
    expect(skipOf(() => splitReasoning('<think>why</think>\n\n', new Repairs())).reason).toBe(SKIP.emptyAnswer);
    expect(skipOf(() => splitReasoning('just an answer', new Repairs())).reason).toBe(SKIP.noReasoning);
    expect(skipOf(() => splitReasoning('just an answer', new Repairs(), '  ')).reason).toBe(SKIP.emptyReasoning);
  });

  it('reads the ShareGPT thought/solution markers', () => {
    const text = '<|begin_of_thought|>\n\nstep\n\n<|end_of_thought|>\n\n<|begin_of_solution|>\n\n42\n\n<|end_of_solution|>';
    expect(splitReasoning(text, new Repairs())).toEqual({ reasoning: 'step', answer: '42' });
    expect(skipOf(() => splitReasoning('<|begin_of_thought|>\n\nstep', new Repairs())).reason).toBe(SKIP.unclosed);
    expect(skipOf(() => splitReasoning('<|begin_of_thought|>a<|end_of_thought|><|begin_of_solution|>4', new Repairs())).reason).toBe(SKIP.unclosedSolution);
  });
});

describe('record formats', () => {
  it('OpenAI chat: <think> in the content, or reasoning_content; multi-turn keeps earlier answers only', () => {
    expect(extract({ messages: [user('Q'), assistant('<think>r</think>A')] })).toMatchObject({ format: 'openai-chat', examples: [{ question: 'Q', reasoning: 'r', answer: 'A' }] });
    expect(extract({ messages: [user('Q'), assistant('A', { reasoning_content: 'r' })] }).examples).toEqual([{ question: 'Q', reasoning: 'r', answer: 'A' }]);
    const multi = extract({ messages: [{ role: 'system', content: 'S' }, user('Q1'), assistant('<think>old</think>A1'), user('Q2'), assistant('<think>new</think>A2')] });
    expect(multi.examples).toEqual([{ question: 'Q2', reasoning: 'new', answer: 'A2', turns: [{ role: 'system', content: 'S' }, { role: 'user', content: 'Q1' }, { role: 'assistant', content: 'A1' }] }]);
    expect(extract({ messages: [user('Q'), assistant([{ type: 'text', text: '<think>r</think>' }, { type: 'text', text: 'A' }])] }).examples[0].answer).toBe('A');
  });

  it('OpenAI chat: a chat ending with the user, or content of the wrong type, is a named skip', () => {
    expect(skipOf(() => extract({ messages: [user('Q')] })).reason).toBe('chat does not end with an assistant reply');
    expect(skipOf(() => extract({ messages: [user('Q'), assistant(42)] }))).toMatchObject({ reason: 'messages are not a list of {role, content}', format: 'openai-chat' });
    expect(skipOf(() => extract({ messages: 'nope' })).reason).toBe('messages are not a list of {role, content}');
  });

  it('DeepSeek API responses with their request', () => {
    const response = { choices: [{ index: 0, message: { role: 'assistant', content: 'A', reasoning_content: 'r' }, finish_reason: 'stop' }] };
    expect(extract({ request: { messages: [user('Q')] }, ...response })).toMatchObject({ format: 'deepseek-api', examples: [{ question: 'Q', reasoning: 'r', answer: 'A' }] });
    expect(extract({ custom_id: '1', request: { body: { messages: [user('Q')] } }, response: { body: response } }).examples[0].question).toBe('Q');
    expect(extract({ prompt: 'Q', ...response }).examples[0].question).toBe('Q');
    expect(skipOf(() => extract(response)).reason).toMatch(/without its question/);
  });

  it('ShareGPT (OpenThoughts / Bespoke-Stratos / Sky-T1)', () => {
    const value = '<|begin_of_thought|>\n\nthink\n\n<|end_of_thought|>\n\n<|begin_of_solution|>\n\nsolved\n\n<|end_of_solution|>';
    const result = extract({ system: 'Your role as an assistant…', conversations: [{ from: 'user', value: 'Q' }, { from: 'assistant', value }] });
    expect(result).toMatchObject({ format: 'sharegpt', examples: [{ question: 'Q', reasoning: 'think', answer: 'solved' }] });
    expect(extract({ conversations: [{ from: 'human', value: 'Q' }, { from: 'gpt', value: '<think>t</think>a' }] }).examples[0].answer).toBe('a');
  });

  it('OpenR1-Math: one example per verified generation', () => {
    const row = { problem: 'P', solution: 's', answer: '1', generations: ['<think>a</think>1', '<think>b</think>2', 'c</think>1'], correctness_math_verify: [true, false, true], messages: [] };
    const result = extract(row);
    expect(result.format).toBe('openr1-math');
    expect(result.examples).toEqual([{ question: 'P', reasoning: 'a', answer: '1' }, { question: 'P', reasoning: 'c', answer: '1' }]);
    expect(result.repairs).toEqual([REPAIR.missingThink]);
    expect(skipOf(() => extract({ ...row, correctness_math_verify: [false, false, false] })).reason).toBe('no generation verified correct (correctness_math_verify)');
    const truncated = extract({ ...row, generations: ['<think>a', '<think>b</think>2', '<think>c</think>1'] });
    expect(truncated.examples).toHaveLength(1);
    expect(truncated.repairs).toEqual([`verified generation left out (${SKIP.unclosed})`]);
  });

  it('Mixture-of-Thoughts', () => {
    expect(extract({ messages: [user('Q'), assistant('<think>r</think>A')], num_tokens: 9, source: 'code' }).format).toBe('mixture-of-thoughts');
  });

  it('s1K-1.1 (deepseek_*) and s1K (thinking_trajectories list, gemini_*), metadata left alone', () => {
    expect(extract({ question: 'Q', solution: 'S', deepseek_thinking_trajectory: 'r', deepseek_attempt: 'A', gemini_thinking_trajectory: 'g', gemini_attempt: 'G' }))
      .toMatchObject({ format: 's1k-1.1', examples: [{ question: 'Q', reasoning: 'r', answer: 'A' }] });
    expect(extract({ question: 'Q', solution: 'S', thinking_trajectories: ['r'], attempt: 'A', metadata: "{'a': True}" }))
      .toMatchObject({ format: 's1k', examples: [{ question: 'Q', reasoning: 'r', answer: 'A' }] });
    expect(extract({ question: 'Q', gemini_thinking_trajectory: 'g', gemini_attempt: 'G' }).examples).toEqual([{ question: 'Q', reasoning: 'g', answer: 'G' }]);
  });

  it('LIMO and plain {question, reasoning, answer}', () => {
    expect(extract({ question: 'Q', solution: 'long solution', answer: '5' })).toMatchObject({ format: 'limo', examples: [{ question: 'Q', reasoning: 'long solution', answer: '5' }] });
    expect(extract({ question: 'Q', reasoning: 'r', answer: 'A' })).toMatchObject({ format: 'plain', examples: [{ question: 'Q', reasoning: 'r', answer: 'A' }] });
  });

  it('other field names: a named skip without a map, the mapped fields with one', () => {
    const record = { prompt: 'Q', reason: 'r', gen_ans: 'A' };
    expect(skipOf(() => extract(record)).message).toMatch(/--map .*fields prompt, reason, gen_ans/);
    const map = parseFieldMap('question=prompt,reasoning=reason,answer=gen_ans');
    expect(extract(record, map)).toMatchObject({ format: 'mapped', examples: [{ question: 'Q', reasoning: 'r', answer: 'A' }] });
    expect(extract({ input: 'Q', output: '<think>r</think>A' }, parseFieldMap('question=input,answer=output')).examples).toEqual([{ question: 'Q', reasoning: 'r', answer: 'A' }]);
    // records that do not have the mapped fields are still detected by shape
    expect(extract({ question: 'Q', reasoning: 'r', answer: 'A' }, map).format).toBe('plain');
    expect(() => parseFieldMap('question')).toThrow(/question=<field>/);
    expect(() => parseFieldMap('title=x')).toThrow(/question=<field>/);
  });

  it('wrong types and non-objects are named skips, never crashes', () => {
    expect(skipOf(() => extract([1, 2])).reason).toBe('not a JSON object');
    expect(skipOf(() => extract('text')).reason).toBe('not a JSON object');
    expect(skipOf(() => extract(null)).reason).toBe('not a JSON object');
    expect(skipOf(() => extract({ question: 5, reasoning: 'r', answer: 'A' }))).toMatchObject({ reason: 'a field is not text', format: 'plain' });
    expect(skipOf(() => extract({ problem: 'P', generations: 'x', correctness_math_verify: [true] })).format).toBe('openr1-math');
  });
});

describe('text blocks (.md / .txt)', () => {
  const block = (text: string) => extractTextBlock({ text }, new Repairs());
  it('takes the question from a Q:/Question: line or the text before the thought', () => {
    expect(block('Question: Why?\n\n<think>\nbecause\n</think>\n\nAnswer: So.')).toEqual({ question: 'Why?', reasoning: 'because', answer: 'So.' });
    expect(block('## Question\nWhat now?\n<think>hmm</think>\nThis.')).toEqual({ question: 'What now?', reasoning: 'hmm', answer: 'This.' });
    expect(block('What is it?\n\nthinking\n</think>\n\nIt.')).toEqual({ question: 'What is it?', reasoning: 'thinking', answer: 'It.' });
    expect(skipOf(() => block('<think>a</think>b')).reason).toBe(SKIP.emptyQuestion);
    expect(skipOf(() => block('Q: a\nno thought here')).reason).toBe(SKIP.noReasoning);
  });
});

describe('splitting a text file into traces', () => {
  const texts = (text: string) => splitBlocks(text).map((b) => [b.line, b.text.trim()]);
  it('splits on --- lines, with each block\'s first line', () => {
    expect(texts('Q: a\n<think>x</think>y\n---\n\nQ: b\n<think>z</think>w\n')).toEqual([[1, 'Q: a\n<think>x</think>y'], [5, 'Q: b\n<think>z</think>w']]);
  });
  it('keeps a Markdown rule inside a thought or an answer in its trace', () => {
    const inThought = 'Q: a\n<think>first\n---\nsecond</think>y';
    const inAnswer = 'Q: a\n<think>x</think>part one\n---\npart two';
    expect(texts(inThought)).toEqual([[1, inThought]]);
    expect(texts(inAnswer)).toEqual([[1, inAnswer]]);
  });
  it('still ends a truncated thought where the next trace starts', () => {
    expect(texts('Q: a\n<think>cut off\n---\nQ: b\n<think>z</think>w').map(([line]) => line)).toEqual([1, 4]);
  });
});
