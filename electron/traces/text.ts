/**
 * Reasoning and answer out of one assistant text, as the dumps write it: `<think>…</think>answer` (often without the
 * opening tag, which the chat template puts in the prompt), or the ShareGPT markers of OpenThoughts/Bespoke/Sky-T1.
 * Repairs are named so the report can count them; anything that cannot be trusted is a named skip.
 */

export const THINK = '<think>';
export const END_THINK = '</think>';
const BEGIN_THOUGHT = '<|begin_of_thought|>';
const END_THOUGHT = '<|end_of_thought|>';
const BEGIN_SOLUTION = '<|begin_of_solution|>';
const END_SOLUTION = '<|end_of_solution|>';

export const REPAIR = {
  missingThink: 'missing opening <think> added',
  crlf: 'CRLF line endings',
  bom: 'byte order mark removed',
  nestedTags: 'nested or duplicate think tags removed',
  textBeforeThink: 'text before <think> dropped',
} as const;

export const SKIP = {
  unclosed: 'unclosed thought (truncated generation)',
  unclosedSolution: 'unclosed <|begin_of_solution|> (truncated generation)',
  emptyReasoning: 'empty reasoning',
  emptyAnswer: 'empty answer',
  emptyQuestion: 'empty question',
  noReasoning: 'no reasoning: no <think>…</think> block and no reasoning field',
} as const;

/** A record that cannot be used: `reason` is the category the report counts, `detail` what the problems list adds. */
export class TraceSkip extends Error {
  constructor(
    readonly reason: string,
    readonly detail?: string,
    public format?: string,
  ) {
    super(detail ? `${reason}: ${detail}` : reason);
  }
}

/** Collects the repairs made while cleaning one record's text. */
export class Repairs {
  readonly names = new Set<string>();
  add(name: string): void {
    this.names.add(name);
  }
  /** Removes a leading BOM and turns CRLF into LF, noting both. */
  clean(text: string): string {
    let out = text;
    if (out.charCodeAt(0) === 0xfeff) {
      out = out.slice(1);
      this.add(REPAIR.bom);
    }
    if (out.includes('\r\n')) {
      out = out.replace(/\r\n/g, '\n');
      this.add(REPAIR.crlf);
    }
    return out;
  }
}

export interface ReasoningAndAnswer {
  reasoning: string;
  answer: string;
}

export function requireText(value: string, skip: string): string {
  const trimmed = value.trim();
  if (!trimmed) throw new TraceSkip(skip);
  return trimmed;
}

/** Splits an assistant text; `separate` is a reasoning field given next to it (reasoning_content). */
export function splitReasoning(content: string, repairs: Repairs, separate?: string): ReasoningAndAnswer {
  const text = repairs.clean(content);
  if (separate !== undefined && separate.trim()) {
    const answer = text.includes(END_THINK) ? text.slice(text.lastIndexOf(END_THINK) + END_THINK.length) : text;
    return checked(repairs.clean(separate), answer, repairs);
  }
  if (text.includes(THINK) || text.includes(END_THINK)) return splitThinkTags(text, repairs);
  if (text.includes(BEGIN_THOUGHT) || text.includes(END_THOUGHT)) return splitThoughtMarkers(text, repairs);
  // A reasoning field that is there but blank is an empty reasoning, not a missing one.
  throw new TraceSkip(separate !== undefined ? SKIP.emptyReasoning : SKIP.noReasoning);
}

function splitThinkTags(text: string, repairs: Repairs): ReasoningAndAnswer {
  const close = text.lastIndexOf(END_THINK);
  if (close < 0) throw new TraceSkip(SKIP.unclosed);
  const answer = text.slice(close + END_THINK.length);
  if (answer.includes(THINK)) throw new TraceSkip(SKIP.unclosed); // a second thought that never ends
  const open = text.indexOf(THINK);
  let reasoning: string;
  if (open < 0 || open > close) {
    repairs.add(REPAIR.missingThink);
    reasoning = text.slice(0, close);
  } else {
    if (text.slice(0, open).trim()) repairs.add(REPAIR.textBeforeThink);
    reasoning = text.slice(open + THINK.length, close);
  }
  if (reasoning.includes(THINK) || reasoning.includes(END_THINK)) {
    repairs.add(REPAIR.nestedTags);
    reasoning = reasoning.split(THINK).join('').split(END_THINK).join('');
  }
  return checked(reasoning, answer, repairs);
}

function splitThoughtMarkers(text: string, repairs: Repairs): ReasoningAndAnswer {
  const open = text.indexOf(BEGIN_THOUGHT);
  const close = text.indexOf(END_THOUGHT);
  if (close < 0) throw new TraceSkip(SKIP.unclosed);
  if (open < 0) repairs.add(REPAIR.missingThink);
  else if (text.slice(0, open).trim()) repairs.add(REPAIR.textBeforeThink);
  const reasoning = text.slice(open < 0 ? 0 : open + BEGIN_THOUGHT.length, close);
  let answer = text.slice(close + END_THOUGHT.length);
  const solution = answer.indexOf(BEGIN_SOLUTION);
  if (solution >= 0) {
    const end = answer.indexOf(END_SOLUTION, solution);
    if (end < 0) throw new TraceSkip(SKIP.unclosedSolution);
    answer = answer.slice(solution + BEGIN_SOLUTION.length, end);
  }
  return checked(reasoning, answer, repairs);
}

function checked(reasoning: string, answer: string, repairs: Repairs): ReasoningAndAnswer {
  return {
    reasoning: requireText(repairs.clean(reasoning), SKIP.emptyReasoning),
    answer: requireText(repairs.clean(answer), SKIP.emptyAnswer),
  };
}

/** Earlier assistant turns keep their answer only, as the R1 chat template renders them. */
export function answerOnly(content: string): string {
  const parts = content.split(END_THINK);
  const last = parts[parts.length - 1];
  const solution = /<\|begin_of_solution\|>([\s\S]*?)(<\|end_of_solution\|>|$)/.exec(last);
  return (solution ? solution[1] : last).trim();
}
