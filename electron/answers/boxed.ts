// The one checker of math answers: finds the final \boxed{} answer in a model's text, normalises it by the rules
// DeepSeek's evaluations use (see README "Checking a math answer"), and compares two answers. Chat (vote), Compare
// (verdict) and fine-tune evaluation all use it, so a "correct" means the same thing everywhere.
// Pure string code: no Node or Electron imports.

const BOX_COMMANDS = ['\\boxed', '\\fbox'];

/** Index just past the group that opens at `open` (a '{'), counting nested braces; -1 when it never closes. */
function groupEnd(text: string, open: number): number {
  let depth = 0;
  for (let i = open; i < text.length; i++) {
    const ch = text[i];
    if (ch === '\\') {
      i++; // an escaped character (\{ or \}) never opens or closes a group
      continue;
    }
    if (ch === '{') depth++;
    else if (ch === '}' && --depth === 0) return i + 1;
  }
  return -1;
}

/** The argument of a box command that starts at `at` (just after the command name), or undefined. */
function boxArgument(text: string, at: number): { value: string; end: number } | undefined {
  let i = at;
  while (text[i] === ' ') i++;
  if (text[i] === '{') {
    const end = groupEnd(text, i);
    return end < 0 ? undefined : { value: text.slice(i + 1, end - 1), end };
  }
  // "\boxed 5": a bare argument runs to the next space, '$' or end.
  if (i === at) return undefined; // "\boxedx" is another command, not a box
  const bare = /^[^\s$]+/.exec(text.slice(i));
  return bare ? { value: bare[0], end: i + bare[0].length } : undefined;
}

/** Every boxed answer in the text, in order (an unclosed box, as in a cut-off reply, is skipped). */
export function extractBoxedAll(text: string): string[] {
  const found: string[] = [];
  let i = 0;
  while (i < text.length) {
    const hit = BOX_COMMANDS.map((cmd) => ({ cmd, at: text.indexOf(cmd, i) }))
      .filter((h) => h.at >= 0)
      .sort((a, b) => a.at - b.at)[0];
    if (!hit) break;
    const arg = boxArgument(text, hit.at + hit.cmd.length);
    if (arg) {
      found.push(arg.value.trim());
      i = arg.end;
    } else {
      i = hit.at + hit.cmd.length;
    }
  }
  return found;
}

/** The final answer: the last boxed one, or undefined when the text has no box. */
export function extractBoxed(text: string): string | undefined {
  const all = extractBoxedAll(text);
  return all.length > 0 ? all[all.length - 1] : undefined;
}

/** Replaces `\cmd{x}` by `x` everywhere, braces counted. */
function unwrapCommand(text: string, cmd: string): string {
  let out = text;
  for (let at = out.indexOf(cmd + '{'); at >= 0; at = out.indexOf(cmd + '{')) {
    const open = at + cmd.length;
    const end = groupEnd(out, open);
    if (end < 0) break;
    out = out.slice(0, at) + out.slice(open + 1, end - 1) + out.slice(end);
  }
  return out;
}

/** One brace-or-character argument after position `i`: "{12}" or "1" (a single digit or letter). */
function readArgument(text: string, i: number): { arg: string; end: number } | undefined {
  if (text[i] === '{') {
    const end = groupEnd(text, i);
    return end < 0 ? undefined : { arg: text.slice(i + 1, end - 1), end };
  }
  if (i < text.length && /[0-9a-zA-Z]/.test(text[i])) return { arg: text[i], end: i + 1 };
  return undefined;
}

/** `\frac12` → `\frac{1}{2}`, `\frac1{x}` → `\frac{1}{x}`; `\sqrt3` → `\sqrt{3}`. */
function braceArguments(text: string, cmd: string, count: number): string {
  let out = '';
  let i = 0;
  while (i < text.length) {
    const at = text.indexOf(cmd, i);
    if (at < 0 || /[a-zA-Z]/.test(text[at + cmd.length] ?? '')) {
      if (at < 0) return out + text.slice(i);
      out += text.slice(i, at + cmd.length);
      i = at + cmd.length;
      continue;
    }
    out += text.slice(i, at) + cmd;
    let j = at + cmd.length;
    for (let k = 0; k < count; k++) {
      const read = readArgument(text, j);
      if (!read) break;
      out += `{${read.arg}}`;
      j = read.end;
    }
    i = j;
  }
  return out;
}

/** A trailing unit: `\text{ cm}`, `\mbox{m}`, `\mathrm{kg}` (with an optional power), when something precedes it. */
const TRAILING_UNIT = /^(.+?)\\(?:text|mbox|mathrm)\{[^{}]*\}(?:\^\{?\d\}?)?$/;
/** `x=`, `k=`, `AB=`: a short name before '=' (R1 often writes "x = 5"). */
const SHORT_PREFIX = /^[a-zA-Z]{1,2}(?:_\{?\w\}?)?=/;

/** Normalises a boxed answer by the rules of "Checking a math answer", so equal answers give equal strings. */
export function normalizeAnswer(raw: string): string {
  let s = raw.trim();
  // Spacing commands and real spaces carry no meaning.
  s = s.replace(/\\[!,;: ]/g, '').replace(/\\(?:q?quad)/g, '').replace(/\s+/g, '');
  s = s.replace(/\\displaystyle/g, '').replace(/\\(?:left|right)(?![a-zA-Z])/g, '');
  s = s.replace(/\\\$/g, '').replace(/\$/g, '');
  // Degrees: 90^\circ, 90^{\circ}, 90°, \degree.
  s = s.replace(/\^\{?\\circ\}?/g, '').replace(/°/g, '').replace(/\\degree/g, '');
  s = s.replace(/\\?%$/, '');
  s = s.replace(/\.$/, '');
  s = stripTrailingUnit(s);
  s = unwrapCommand(unwrapCommand(unwrapCommand(s, '\\text'), '\\textbf'), '\\mathbf');
  s = unwrapCommand(s, '\\mbox');
  s = s.replace(/\\[td]frac/g, '\\frac');
  s = braceArguments(s, '\\frac', 2);
  s = braceArguments(s, '\\sqrt', 1);
  s = s.replace(/\{,\}/g, ',');
  if (SHORT_PREFIX.test(s)) s = s.slice(s.indexOf('=') + 1);
  s = s.replace(/(^|[^\d])\.(\d)/g, '$10.$2');
  s = s.replace(/^(-?\d+)\/(\d+)$/, '\\frac{$1}{$2}');
  if (/^-?\d{1,3}(,\d{3})+(\.\d+)?$/.test(s)) s = s.replace(/,/g, '');
  return s;
}

function stripTrailingUnit(s: string): string {
  let out = s;
  for (let m = TRAILING_UNIT.exec(out); m && /[\d}]$/.test(m[1]); m = TRAILING_UNIT.exec(out)) out = m[1];
  return out;
}

/** The value of a normalised answer when it is a plain number or a fraction of numbers; undefined otherwise. */
export function numericValue(normalized: string): number | undefined {
  if (/^-?\d+(\.\d+)?(e-?\d+)?$/i.test(normalized)) return Number(normalized);
  const frac = /^(-?)\\frac\{(-?\d+(?:\.\d+)?)\}\{(-?\d+(?:\.\d+)?)\}$/.exec(normalized);
  if (frac) {
    const value = Number(frac[2]) / Number(frac[3]);
    return Number.isFinite(value) ? (frac[1] === '-' ? -value : value) : undefined;
  }
  return undefined;
}

/** Equal when rounded to 6 decimal places (so 0.333333 matches 1/3, while integers stay exact). */
function numbersAgree(a: number, b: number): boolean {
  return a === b || Math.round(a * 1e6) === Math.round(b * 1e6);
}

/**
 * Whether two answers (boxed contents, or whole replies whose last box is taken) say the same thing. Either side
 * missing means no agreement.
 */
export function answersAgree(a: string | undefined, b: string | undefined): boolean {
  if (a === undefined || b === undefined) return false;
  const na = normalizeAnswer(boxedOrSelf(a));
  const nb = normalizeAnswer(boxedOrSelf(b));
  if (na === '' || nb === '') return false;
  if (na === nb) return true;
  const va = numericValue(na);
  const vb = numericValue(nb);
  return va !== undefined && vb !== undefined && numbersAgree(va, vb);
}

function boxedOrSelf(text: string): string {
  return extractBoxed(text) ?? text;
}

export interface AnswerCheck {
  /** The last boxed answer of the reply, as written; undefined when there is none. */
  boxed?: string;
  /** Its normalised form. */
  normalized?: string;
  /** Compared with the reference answer; undefined when no reference was given. */
  correct?: boolean;
}

/**
 * Checks a model's reply against an optional reference (gold) answer. Asymmetric: only the reply's box counts (a
 * reply without one is wrong), while the reference may be written with or without a box.
 */
export function checkAnswer(reply: string, reference?: string): AnswerCheck {
  const boxed = extractBoxed(reply);
  const normalized = boxed === undefined ? undefined : normalizeAnswer(boxed);
  if (reference === undefined || reference.trim() === '') return { boxed, normalized };
  return { boxed, normalized, correct: boxed !== undefined && answersAgree(boxed, reference) };
}

export interface VoteTally {
  /** Normalised answers with their counts, most frequent first (ties: first seen first). */
  buckets: { answer: string; count: number; samples: number[] }[];
  /** Samples without a boxed answer. */
  unanswered: number[];
  majority?: { answer: string; count: number; share: number };
}

/** cons@N: groups replies by agreeing final answers and names the majority (its share counts every sample). */
export function tallyVotes(replies: string[]): VoteTally {
  const buckets: VoteTally['buckets'] = [];
  const unanswered: number[] = [];
  replies.forEach((reply, index) => {
    const boxed = extractBoxed(reply);
    if (boxed === undefined || normalizeAnswer(boxed) === '') {
      unanswered.push(index);
      return;
    }
    const bucket = buckets.find((b) => answersAgree(b.answer, boxed));
    if (bucket) {
      bucket.count++;
      bucket.samples.push(index);
    } else {
      buckets.push({ answer: normalizeAnswer(boxed), count: 1, samples: [index] });
    }
  });
  const ordered = buckets.map((b, i) => ({ b, i })).sort((x, y) => y.b.count - x.b.count || x.i - y.i).map((x) => x.b);
  const top = ordered[0];
  const majority = top && replies.length > 0 ? { answer: top.answer, count: top.count, share: top.count / replies.length } : undefined;
  return { buckets: ordered, unanswered, majority };
}
