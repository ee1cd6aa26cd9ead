/**
 * Markdown / plain-text traces: one per file, or several separated by a `---` line. In each block the question is a
 * `Q:`/`Question:` line (or, without one, the text before the thought), then `<think>…</think>` and the answer.
 */
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { TraceFields } from './formats';
import { decodeUtf8, SKIP_CONTAINER, type RawRecord, type ReadContext } from './raw-record';
import { Repairs, requireText, SKIP, splitReasoning, TraceSkip } from './text';

/** Text files are read whole; a bigger one is not a hand-written trace file. */
export const MAX_TEXT_FILE_BYTES = 64 * 1024 * 1024;

export interface TextBlock {
  text: string;
}

export async function* readTextFile(file: string, ctx: ReadContext): AsyncGenerator<RawRecord> {
  const { size } = await stat(file);
  if (size > MAX_TEXT_FILE_BYTES) {
    yield { where: {}, repairs: new Repairs(), skip: new TraceSkip(SKIP_CONTAINER.tooLong, `${size.toLocaleString('en-US')} bytes: a text trace file is read whole (64 MB at most)`) };
    return;
  }
  const chunks: Buffer[] = [];
  for await (const chunk of createReadStream(file) as AsyncIterable<Buffer>) chunks.push(chunk);
  ctx.onBytes(size);
  const decoded = decodeUtf8(Buffer.concat(chunks));
  if (decoded === undefined) {
    yield { where: { line: 1 }, repairs: new Repairs(), skip: new TraceSkip(SKIP_CONTAINER.notUtf8) };
    return;
  }
  const fileRepairs = new Repairs();
  const text = fileRepairs.clean(decoded);
  let first = true;
  for (const block of splitBlocks(text)) {
    const repairs = new Repairs();
    if (first) for (const name of fileRepairs.names) repairs.add(name);
    else if (fileRepairs.names.has('CRLF line endings')) repairs.add('CRLF line endings');
    first = false;
    yield { where: { line: block.line }, repairs, value: { text: block.text } satisfies TextBlock };
  }
}

const SEPARATOR = /^-{3,}[ \t]*$/;
const MARKERS = /<\/?think>|<\|(?:begin|end)_of_thought\|>/;
const count = (text: string, needle: string) => text.split(needle).length - 1;

/**
 * Traces separated by `---` lines. A `---` that is a Markdown rule inside a trace stays in it: one inside an open
 * thought unless a new trace (a question or an opening tag) follows, or one followed by text with no thought markers
 * and no question (a rule in an answer).
 */
export function splitBlocks(text: string): { text: string; line: number }[] {
  const blocks: { lines: string[]; line: number }[] = [];
  let current = { lines: [] as string[], line: 1 };
  const lines = text.split('\n');
  lines.forEach((line, i) => {
    if (!SEPARATOR.test(line)) {
      current.lines.push(line);
      return;
    }
    const body = current.lines.join('\n');
    const openThought = count(body, '<think>') > count(body, '</think>') || count(body, '<|begin_of_thought|>') > count(body, '<|end_of_thought|>');
    const next = lines.slice(i + 1, nextSeparator(lines, i + 1)).join('\n');
    const startsTrace = QUESTION_LINE.test(next) || next.includes('<think>') || next.includes('<|begin_of_thought|>');
    // inside a thought only a new trace ends it (a truncated one); after it, anything with a thought or question does
    if (openThought ? !startsTrace : !(startsTrace || MARKERS.test(next))) {
      current.lines.push(line);
      return;
    }
    blocks.push(current);
    current = { lines: [], line: i + 2 };
  });
  blocks.push(current);
  return blocks
    .map((b) => {
      const leading = b.lines.findIndex((l) => l.trim());
      return { text: b.lines.join('\n'), line: b.line + Math.max(0, leading) };
    })
    .filter((b) => b.text.trim());
}

function nextSeparator(lines: string[], from: number): number {
  for (let i = from; i < lines.length; i++) if (SEPARATOR.test(lines[i])) return i;
  return lines.length;
}

const QUESTION_LINE = /^[ \t]*(?:#+[ \t]*)?(?:Q|Question)[ \t]*[:：][ \t]*(.*)$/im;
const ANSWER_LABEL = /^[ \t]*(?:#+[ \t]*)?(?:A|Answer)[ \t]*[:：][ \t]*/i;
const HEADING = /^[ \t]*#+[ \t]*(?:Question|Problem|Prompt)?[ \t]*[:：]?[ \t]*\n/i;

/** One text block → a trace (throws TraceSkip). */
export function extractTextBlock(block: TextBlock, repairs: Repairs): TraceFields {
  const text = block.text;
  const thoughtAt = firstIndex(text, ['<think>', '<|begin_of_thought|>']);
  const closeAt = firstIndex(text, ['</think>', '<|end_of_thought|>']);
  if (thoughtAt < 0 && closeAt < 0) throw new TraceSkip(SKIP.noReasoning);
  const labelled = QUESTION_LINE.exec(text);
  let question: string;
  let rest: string;
  if (labelled && (thoughtAt < 0 || labelled.index < thoughtAt)) {
    const afterLabel = text.slice(labelled.index + labelled[0].length - labelled[1].length);
    const end = firstIndex(afterLabel, ['<think>', '<|begin_of_thought|>', '\n\n']);
    question = afterLabel.slice(0, end < 0 ? undefined : end);
    rest = afterLabel.slice(end < 0 ? afterLabel.length : end);
  } else if (thoughtAt >= 0) {
    question = text.slice(0, thoughtAt);
    rest = text.slice(thoughtAt);
  } else {
    // missing opening tag: the first paragraph is the question
    const end = text.trim().indexOf('\n\n');
    const trimmed = text.trim();
    question = end < 0 ? '' : trimmed.slice(0, end);
    rest = end < 0 ? trimmed : trimmed.slice(end);
  }
  const split = splitReasoning(rest, repairs);
  return {
    question: requireText(question.replace(HEADING, ''), SKIP.emptyQuestion),
    reasoning: split.reasoning,
    answer: requireText(split.answer.replace(ANSWER_LABEL, ''), SKIP.emptyAnswer),
  };
}

function firstIndex(text: string, needles: string[]): number {
  const hits = needles.map((n) => text.indexOf(n)).filter((i) => i >= 0);
  return hits.length ? Math.min(...hits) : -1;
}
