/**
 * Streamed API responses saved chunk by chunk (`choices[0].delta.{content, reasoning_content}`, one chunk per line):
 * consecutive chunks with the same `id` are joined into one response, which counts as one input record (the report
 * counts streams, not chunk lines). The question comes from the first chunk when the dump kept it (`messages`,
 * `request`, `prompt`, `question`), as for whole responses.
 */
import type { RawRecord } from './raw-record';
import { Repairs } from './text';

type Rec = Record<string, unknown>;
const isRecord = (v: unknown): v is Rec => typeof v === 'object' && v !== null && !Array.isArray(v);
const QUESTION_FIELDS = ['messages', 'request', 'prompt', 'question'];

interface Chunk {
  id: string;
  content: string;
  reasoning: string;
  finished: boolean;
}

function chunkOf(value: unknown): Chunk | undefined {
  if (!isRecord(value) || typeof value.id !== 'string' || !Array.isArray(value.choices)) return undefined;
  const choice = value.choices[0];
  if (!isRecord(choice) || !isRecord(choice.delta)) return undefined;
  const text = (v: unknown) => (typeof v === 'string' ? v : '');
  return { id: value.id, content: text(choice.delta.content), reasoning: text(choice.delta.reasoning_content), finished: typeof choice.finish_reason === 'string' };
}

interface Stream {
  id: string;
  first: RawRecord;
  content: string[];
  reasoning: string[];
  repairs: Repairs;
}

export class ChunkMerger {
  private stream?: Stream;

  /** The records ready for the importer after this one: a finished stream and/or the record itself. */
  offer(raw: RawRecord): RawRecord[] {
    const chunk = raw.skip ? undefined : chunkOf(raw.value);
    if (!chunk) return [...this.flush(), raw];
    const out = this.stream && this.stream.id !== chunk.id ? this.flush() : [];
    this.stream ??= { id: chunk.id, first: raw, content: [], reasoning: [], repairs: new Repairs() };
    this.stream.content.push(chunk.content);
    this.stream.reasoning.push(chunk.reasoning);
    for (const name of raw.repairs.names) this.stream.repairs.add(name);
    if (chunk.finished) out.push(...this.flush());
    return out;
  }

  /** The stream in progress (at a change of id, a non-chunk record, or the end of the file). */
  flush(): RawRecord[] {
    const stream = this.stream;
    if (!stream) return [];
    this.stream = undefined;
    const first = stream.first.value as Rec;
    const value: Rec = { choices: [{ message: { role: 'assistant', content: stream.content.join(''), reasoning_content: stream.reasoning.join('') } }] };
    for (const field of QUESTION_FIELDS) if (first[field] !== undefined) value[field] = first[field];
    return [{ where: stream.first.where, value, repairs: stream.repairs }];
  }
}
