/**
 * R1 writes math with LaTeX's own delimiters as often as with dollars: `\( … \)` inline and `\[ … \]` on their own.
 * Markdown reads `\(` and `\[` as escaped punctuation, so they would show as "(x^2)" and "[ … ]". This rewrites them to
 * `$…$` and `$$…$$` (what remark-math parses), leaving code spans and fenced code untouched.
 * It also puts a display-math `$$` that opens at the end of a sentence ("gives $$" newline formula newline "$$") on a
 * line of its own: remark-math only takes `$$` at the start of a line as a display block, and would otherwise read the
 * closing `$$` as a new, never-closed one, leaving the formula as raw TeX.
 */

const FENCE = /^ {0,3}(`{3,}|~{3,})/;

/** Rewrites `\(…\)` and `\[…\]` outside code into dollar math. Only closed pairs are rewritten. */
export function normalizeMathDelimiters(text: string): string {
  if (!text.includes('\\(') && !text.includes('\\[') && !text.includes('$$')) return text;
  const lines = text.split('\n');
  let fence: string | null = null;
  const prose: string[] = [];
  const out: string[] = [];
  const flushProse = () => {
    if (prose.length > 0) out.push(rewriteProse(prose.join('\n')));
    prose.length = 0;
  };
  for (const line of lines) {
    const marker = FENCE.exec(line)?.[1];
    if (fence) {
      out.push(line);
      if (marker && marker[0] === fence[0] && marker.length >= fence.length && line.trim() === marker) fence = null;
    } else if (marker) {
      flushProse();
      out.push(line);
      fence = marker;
    } else {
      prose.push(...ownLineDisplayFence(line, prose));
    }
  }
  flushProse();
  return out.join('\n');
}

/** Whether display math is open after `lines`: an odd number of `$$` so far (outside code spans). */
function displayOpen(lines: string[]): boolean {
  let count = 0;
  for (const line of lines) count += dollarPairs(line).length;
  return count % 2 === 1;
}

function dollarPairs(line: string): number[] {
  const bare = line.replace(/`[^`]*`/g, (code) => ' '.repeat(code.length));
  const found: number[] = [];
  for (let i = bare.indexOf('$$'); i >= 0; i = bare.indexOf('$$', i + 2)) found.push(i);
  return found;
}

/** A line whose unmatched `$$` shares the line with text, split so that `$$` stands alone. */
function ownLineDisplayFence(line: string, before: string[]): string[] {
  const pairs = dollarPairs(line);
  if (pairs.length % 2 === 0 || line.trim() === '$$') return [line];
  // Opening: the last `$$` is the unmatched one; closing: the first.
  const at = displayOpen(before) ? pairs[0] : pairs[pairs.length - 1];
  return [line.slice(0, at), '$$', line.slice(at + 2)].filter((part) => part.trim().length > 0);
}

/** Prose between fences: code spans are kept as they are, the rest has its delimiters rewritten. */
function rewriteProse(text: string): string {
  return text
    .split(/(`+[^`]*`+)/)
    .map((part, i) => (i % 2 === 1 ? part : rewriteDelimiters(part)))
    .join('');
}

// A delimiter preceded by another backslash is not one: `\\[2pt]` is a LaTeX line break with spacing.
const DISPLAY = /(?<!\\)\\\[([\s\S]+?)(?<!\\)\\\]/g;
const INLINE = /(?<!\\)\\\(([\s\S]+?)(?<!\\)\\\)/g;

function rewriteDelimiters(text: string): string {
  return text
    .replace(DISPLAY, (_, body: string) => (body.includes('\n') ? `\n$$\n${body.trim()}\n$$\n` : `$$${body}$$`))
    .replace(INLINE, (_, body: string) => `$${body.trim()}$`);
}
