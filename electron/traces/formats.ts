/**
 * Record shapes of the public trace datasets (see the table in the README's fine-tuning section): detect which one a
 * parsed record is, and turn it into training examples. Detection is per record, so a file may mix shapes.
 */
import type { TraceTurn } from '../contract/traces';
import { answerOnly, Repairs, requireText, SKIP, splitReasoning, TraceSkip } from './text';

export interface TraceFields {
  question: string;
  reasoning: string;
  answer: string;
  turns?: TraceTurn[];
}

export type FieldMap = Partial<Record<'question' | 'reasoning' | 'answer', string>>;

export interface Extraction {
  format: string;
  examples: TraceFields[];
}

type Rec = Record<string, unknown>;

export const SKIP_SHAPE = {
  notObject: 'not a JSON object',
  unknownShape: 'unknown record shape: name its fields with --map question=…,reasoning=…,answer=…',
  notText: 'a field is not text',
  noVerified: 'no generation verified correct (correctness_math_verify)',
  noFlags: 'OpenR1 row without correctness_math_verify: cannot tell the correct generations',
  endsWithUser: 'chat does not end with an assistant reply',
  noQuestion: 'no user question before the reply',
  responseWithoutQuestion: 'API response without its question: keep the request messages with it (or --map question=…)',
  badMessages: 'messages are not a list of {role, content}',
} as const;

const isRecord = (v: unknown): v is Rec => typeof v === 'object' && v !== null && !Array.isArray(v);
const has = (rec: Rec, field: string) => rec[field] !== undefined && rec[field] !== null;

function text(rec: Rec, field: string, repairs: Repairs): string | undefined {
  const value = rec[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw new TraceSkip(SKIP_SHAPE.notText, `"${field}" is ${Array.isArray(value) ? 'a list' : typeof value}`);
  return repairs.clean(value);
}

function requiredText(rec: Rec, field: string, repairs: Repairs, empty: string): string {
  const value = text(rec, field, repairs);
  if (value === undefined) throw new TraceSkip(empty, `no "${field}"`);
  return requireText(value, empty);
}

interface Shape {
  format: string;
  matches(rec: Rec): boolean;
  extract(rec: Rec, repairs: Repairs): TraceFields[];
}

const SHAPES: Shape[] = [
  { format: 'openr1-math', matches: (r) => has(r, 'generations'), extract: extractOpenR1 },
  { format: 's1k-1.1', matches: (r) => has(r, 'deepseek_thinking_trajectory'), extract: (r, rep) => [separateFields(r, rep, 'deepseek_thinking_trajectory', 'deepseek_attempt')] },
  { format: 's1k', matches: (r) => has(r, 'thinking_trajectories') || has(r, 'gemini_thinking_trajectory'), extract: extractS1k },
  { format: 'deepseek-api', matches: (r) => has(r, 'choices') || isRecord(r.response), extract: extractApiResponse },
  { format: 'plain', matches: (r) => has(r, 'question') && has(r, 'reasoning'), extract: (r, rep) => [mappedFields(r, rep, {})] },
  { format: 'limo', matches: (r) => has(r, 'question') && has(r, 'solution') && has(r, 'answer'), extract: (r, rep) => [separateFields(r, rep, 'solution', 'answer')] },
  { format: 'mixture-of-thoughts', matches: (r) => has(r, 'messages') && (has(r, 'num_tokens') || has(r, 'source')), extract: (r, rep) => [extractChat(r.messages, rep)] },
  { format: 'openai-chat', matches: (r) => has(r, 'messages'), extract: (r, rep) => [extractChat(r.messages, rep)] },
  // ShareGPT's `system` is the instruction to write the thought/solution markers, which become <think> here: dropped.
  { format: 'sharegpt', matches: (r) => has(r, 'conversations'), extract: (r, rep) => [extractChat(r.conversations, rep)] },
];

/** Detects the record's shape and returns its examples; throws TraceSkip (with the format when known). */
export function extractRecord(value: unknown, repairs: Repairs, map?: FieldMap): Extraction {
  if (!isRecord(value)) throw new TraceSkip(SKIP_SHAPE.notObject, Array.isArray(value) ? 'a list' : value === null ? 'null' : typeof value);
  const shape = map && usesMap(value, map)
    ? { format: 'mapped', extract: (r: Rec, rep: Repairs) => [mappedFields(r, rep, map)] }
    : SHAPES.find((s) => s.matches(value));
  if (!shape) throw new TraceSkip(SKIP_SHAPE.unknownShape, `fields ${Object.keys(value).slice(0, 8).join(', ') || '(none)'}`);
  try {
    return { format: shape.format, examples: shape.extract(value, repairs) };
  } catch (error) {
    if (error instanceof TraceSkip) error.format = shape.format;
    throw error;
  }
}

/** A mapped record has the mapped question and at least one of the mapped reasoning/answer fields. */
function usesMap(rec: Rec, map: FieldMap): boolean {
  if (!map.question && !map.reasoning && !map.answer) return false;
  return has(rec, map.question ?? 'question') && (has(rec, map.reasoning ?? 'reasoning') || has(rec, map.answer ?? 'answer'));
}

/** question + reasoning + answer under the given names; reasoning may instead sit in <think> tags in the answer. */
function mappedFields(rec: Rec, repairs: Repairs, map: FieldMap): TraceFields {
  const names = { question: map.question ?? 'question', reasoning: map.reasoning ?? 'reasoning', answer: map.answer ?? 'answer' };
  const question = requiredText(rec, names.question, repairs, SKIP.emptyQuestion);
  const answer = text(rec, names.answer, repairs);
  const reasoning = text(rec, names.reasoning, repairs);
  if (answer === undefined) {
    // A single field holding "<think>…</think>answer" (e.g. --map answer=response) is the common case.
    if (reasoning === undefined) throw new TraceSkip(SKIP.emptyAnswer, `no "${names.answer}"`);
    return { question, ...splitReasoning(reasoning, repairs) };
  }
  return { question, ...splitReasoning(answer, repairs, reasoning) };
}

/** Reasoning and answer in two fields (s1K, LIMO): the reasoning has no tags, or has a stray pair. */
function separateFields(rec: Rec, repairs: Repairs, reasoningField: string, answerField: string): TraceFields {
  const question = requiredText(rec, 'question', repairs, SKIP.emptyQuestion);
  const reasoning = requiredText(rec, reasoningField, repairs, SKIP.emptyReasoning);
  const answer = requiredText(rec, answerField, repairs, SKIP.emptyAnswer);
  return { question, ...splitReasoning(answer, repairs, stripTags(reasoning)) };
}

const stripTags = (s: string) => s.replace(/<\/?think>/g, '');

function extractS1k(rec: Rec, repairs: Repairs): TraceFields[] {
  if (has(rec, 'thinking_trajectories')) {
    const list = rec.thinking_trajectories;
    // A list (usually of one trace); some copies store the plain string.
    const first = Array.isArray(list) ? list.find((t) => typeof t === 'string' && t.trim()) : list;
    if (typeof first !== 'string') throw new TraceSkip(SKIP.emptyReasoning, '"thinking_trajectories" holds no text');
    return [separateFields({ ...rec, thinking_trajectories: first }, repairs, 'thinking_trajectories', 'attempt')];
  }
  return [separateFields(rec, repairs, 'gemini_thinking_trajectory', 'gemini_attempt')];
}

function extractOpenR1(rec: Rec, repairs: Repairs): TraceFields[] {
  const question = requiredText(rec, has(rec, 'problem') ? 'problem' : 'question', repairs, SKIP.emptyQuestion);
  const generations = rec.generations;
  const flags = rec.correctness_math_verify;
  if (!Array.isArray(generations)) throw new TraceSkip(SKIP_SHAPE.notText, '"generations" is not a list');
  if (!Array.isArray(flags)) throw new TraceSkip(SKIP_SHAPE.noFlags);
  const examples: TraceFields[] = [];
  let firstFailure: TraceSkip | undefined;
  generations.forEach((generation, i) => {
    if (flags[i] !== true) return;
    try {
      if (typeof generation !== 'string') throw new TraceSkip(SKIP_SHAPE.notText, `generation ${i} is ${typeof generation}`);
      examples.push({ question, ...splitReasoning(generation, repairs) });
    } catch (error) {
      if (!(error instanceof TraceSkip)) throw error;
      firstFailure ??= error;
      repairs.add(`verified generation left out (${error.reason})`);
    }
  });
  if (examples.length) return examples;
  throw firstFailure ?? new TraceSkip(SKIP_SHAPE.noVerified);
}

interface Message {
  role: string;
  content: string;
  reasoning?: string;
}

const ROLE_ALIASES: Record<string, string> = { human: 'user', gpt: 'assistant', model: 'assistant' };

function messageText(value: unknown, repairs: Repairs): string {
  if (typeof value === 'string') return repairs.clean(value);
  // OpenAI content parts: [{type: 'text', text}]
  if (Array.isArray(value) && value.every((p) => isRecord(p) && typeof p.text === 'string')) {
    return repairs.clean(value.map((p) => (p as Rec).text as string).join(''));
  }
  if (value === null || value === undefined) return '';
  throw new TraceSkip(SKIP_SHAPE.badMessages, `content is ${Array.isArray(value) ? 'a list' : typeof value}`);
}

function toMessages(list: unknown, repairs: Repairs): Message[] {
  if (!Array.isArray(list) || list.length === 0) throw new TraceSkip(SKIP_SHAPE.badMessages);
  return list.map((m) => {
    if (!isRecord(m)) throw new TraceSkip(SKIP_SHAPE.badMessages);
    const role = m.role ?? m.from;
    if (typeof role !== 'string') throw new TraceSkip(SKIP_SHAPE.badMessages, 'a message has no role');
    const reasoning = typeof m.reasoning_content === 'string' ? m.reasoning_content : undefined;
    return { role: ROLE_ALIASES[role] ?? role, content: messageText(m.content ?? m.value, repairs), reasoning };
  });
}

/** A chat: the final assistant turn is the example; earlier turns go in `turns`, answers only. */
function extractChat(list: unknown, repairs: Repairs, reply?: Message): TraceFields {
  const messages = toMessages(list, repairs);
  const final = reply ?? messages.at(-1)!;
  const before = reply ? messages : messages.slice(0, -1);
  if (final.role !== 'assistant') throw new TraceSkip(SKIP_SHAPE.endsWithUser);
  const questionAt = before.length - 1;
  if (questionAt < 0 || before[questionAt].role !== 'user') throw new TraceSkip(SKIP_SHAPE.noQuestion);
  const question = requireText(before[questionAt].content, SKIP.emptyQuestion);
  const turns: TraceTurn[] = [];
  for (const m of before.slice(0, questionAt)) {
    if (m.role !== 'system' && m.role !== 'user' && m.role !== 'assistant') continue; // tool messages: not trained on
    turns.push({ role: m.role, content: m.role === 'assistant' ? answerOnly(m.content) : m.content });
  }
  const fields: TraceFields = { question, ...splitReasoning(final.content, repairs, final.reasoning) };
  return turns.length ? { ...fields, turns } : fields;
}

/** A DeepSeek (OpenAI-compatible) response object, with the request it answered when the dump kept it. */
function extractApiResponse(rec: Rec, repairs: Repairs): TraceFields[] {
  const response = isRecord(rec.response) ? (isRecord(rec.response.body) ? rec.response.body : rec.response) : rec;
  const choice = Array.isArray(response.choices) ? response.choices[0] : undefined;
  const message = isRecord(choice) ? (isRecord(choice.message) ? choice.message : choice.delta) : undefined;
  if (!isRecord(message)) throw new TraceSkip(SKIP_SHAPE.badMessages, 'no choices[0].message');
  const reply: Message = {
    role: 'assistant',
    content: messageText(message.content, repairs),
    reasoning: typeof message.reasoning_content === 'string' ? message.reasoning_content : undefined,
  };
  const request = isRecord(rec.request) ? (isRecord(rec.request.body) ? rec.request.body : rec.request) : isRecord(rec.body) ? rec.body : rec;
  if (Array.isArray(request.messages)) return [extractChat(request.messages, repairs, reply)];
  const question = typeof rec.question === 'string' ? rec.question : typeof rec.prompt === 'string' ? rec.prompt : undefined;
  if (question === undefined) throw new TraceSkip(SKIP_SHAPE.responseWithoutQuestion);
  return [extractChat([{ role: 'user', content: question }], repairs, reply)];
}
