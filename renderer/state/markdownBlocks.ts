/**
 * Splits streamed Markdown into finished blocks and the open tail, incrementally, so a long reply re-parses only the
 * part still growing: a 30,000-token thought re-rendered whole on every frame took the CPU the model needed.
 *
 * A block ends at a blank line outside a code fence or a `$$` math block, once the next line has started and is not
 * indented (an indented line continues a list item or an indented code block across the blank line). A tail that grows
 * past MAX_TAIL_CHARS without such a line (one huge paragraph, or unbroken text) is cut at a line break or, failing
 * that, at a space outside inline math and code spans, so the tail stays small. A lone `$` or backtick (one that no
 * other closes) would forbid every such cut and let the tail, re-parsed on each update, grow with the whole text: past
 * MAX_UNBALANCED_TAIL_CHARS the tail is cut at a line break or space even there (no real formula or code span is that
 * long outside a fence). An open code fence is never cut: its view shows it plain until it closes.
 *
 * Finished blocks never change: a later call returns the same strings in the same places, which is what lets the view
 * render each of them once (React.memo on the text).
 */

/** Past this size the open tail is cut even without a blank line. */
export const MAX_TAIL_CHARS = 600;
/** Past this size the open tail is cut even inside an unclosed `$` or backtick. */
export const MAX_UNBALANCED_TAIL_CHARS = 2 * MAX_TAIL_CHARS;
/** A forced cut leaves at least this much in the block it closes (no slivers). */
const MIN_CUT_CHARS = MAX_TAIL_CHARS / 2;

interface Fence {
  /** '`' or '~' for a code fence, '$' for a `$$` math block. */
  char: '`' | '~' | '$';
  length: number;
}

export interface BlockSplit {
  /** The text this split covers; the next text must start with it to be split incrementally. */
  readonly source: string;
  /** Finished blocks, in order. Never changed once here. */
  readonly blocks: readonly string[];
  /**
   * Indices of the blocks that end at a forced cut (mid-paragraph): the view joins them to the next block without the
   * paragraph gap, so a cut is not seen as a paragraph break.
   */
  readonly cuts: readonly number[];
  /** Where the open tail starts in source. */
  readonly tailStart: number;
  /** Start of the first line not yet classified (an incomplete last line). */
  readonly scanPos: number;
  /** The fence or math block open at scanPos. */
  readonly fence: Fence | null;
  /** Whether the last classified line was blank: a block may end before the next one. */
  readonly afterBlank: boolean;
}

export const emptySplit: BlockSplit = { source: '', blocks: [], cuts: [], tailStart: 0, scanPos: 0, fence: null, afterBlank: false };

/** The text still growing: everything after the finished blocks. */
export const tailOf = (split: BlockSplit): string => split.source.slice(split.tailStart);

/** Whether the tail is inside an open code fence (shown plain until it closes). */
export const tailInCodeFence = (split: BlockSplit): boolean => split.fence !== null && split.fence.char !== '$';

const FENCE_OPEN = /^ {0,3}(`{3,}|~{3,})/;
const isBlank = (line: string) => line.trim().length === 0;
const isIndented = (line: string) => line.startsWith(' ') || line.startsWith('\t');

/** `$$` occurrences in a line outside inline code: an odd count opens or closes a display-math block. */
function togglesMath(line: string): boolean {
  const matches = line.replace(/`[^`]*`/g, '').match(/\$\$/g);
  return matches !== null && matches.length % 2 === 1;
}

function closesFence(line: string, fence: Fence): boolean {
  if (fence.char === '$') return togglesMath(line);
  const trimmed = line.trim();
  return trimmed.length >= fence.length && trimmed === fence.char.repeat(trimmed.length) && line.search(/\S/) <= 3;
}

function opensFence(line: string): Fence | null {
  const code = FENCE_OPEN.exec(line);
  if (code) {
    const marker = code[1];
    // A backtick fence's info string may not contain a backtick (CommonMark): "```a``` b" is inline code.
    if (marker[0] === '`' && line.slice(code[0].length).includes('`')) return null;
    return { char: marker[0] as '`' | '~', length: marker.length };
  }
  return togglesMath(line) ? { char: '$', length: 2 } : null;
}

/**
 * The split of `text`, continuing from `previous` when text extends it (the streaming case), else from scratch (a
 * replaced or edited text).
 */
export function splitBlocks(text: string, previous: BlockSplit = emptySplit): BlockSplit {
  if (text === previous.source) return previous;
  const base = text.startsWith(previous.source) ? previous : emptySplit;
  const blocks = base.blocks.slice();
  let { cuts, tailStart, scanPos, fence, afterBlank } = base;
  for (;;) {
    const newline = text.indexOf('\n', scanPos);
    if (newline < 0) break;
    const line = text.slice(scanPos, newline);
    if (fence) {
      if (closesFence(line, fence)) fence = null;
    } else if (isBlank(line)) {
      afterBlank = true;
    } else {
      if (afterBlank && !isIndented(line) && scanPos > tailStart) {
        blocks.push(text.slice(tailStart, scanPos));
        tailStart = scanPos;
      }
      afterBlank = false;
      fence = opensFence(line);
    }
    scanPos = newline + 1;
  }
  // The line after a blank one has started (not yet complete): its first character already tells where a block ends.
  const started = text.slice(scanPos, scanPos + 1);
  if (!fence && afterBlank && started.trim().length > 0 && scanPos > tailStart) {
    blocks.push(text.slice(tailStart, scanPos));
    tailStart = scanPos;
    afterBlank = false;
  }
  if (!fence && text.length - tailStart > MAX_TAIL_CHARS) {
    const cut = forcedCut(text, tailStart);
    if (cut > tailStart) {
      cuts = [...cuts, blocks.length];
      blocks.push(text.slice(tailStart, cut));
      tailStart = cut;
      // The cut starts a new line for the scanner's purposes: the tail is parsed on its own from there.
      if (scanPos < cut) {
        scanPos = cut;
        afterBlank = false;
      }
    }
  }
  return { source: text, blocks: blocks.length === base.blocks.length ? base.blocks : blocks, cuts, tailStart, scanPos, fence, afterBlank };
}

/**
 * Where to cut an oversized tail: after the last line break, else after the last space, at a point where `$` and
 * backticks are balanced (so inline math and code spans stay whole); failing that, once the tail is past
 * MAX_UNBALANCED_TAIL_CHARS, at the last line break or space anyway. Returns tailStart when there is no such point.
 */
function forcedCut(text: string, tailStart: number): number {
  let dollars = 0;
  let ticks = 0;
  const balanced = { lineBreak: -1, space: -1 };
  const anywhere = { lineBreak: -1, space: -1 };
  for (let i = tailStart; i < text.length; i++) {
    const c = text[i];
    if (c === '\\') {
      i++; // an escaped character (\$, \`) delimits nothing
      continue;
    }
    if (c === '$') dollars++;
    else if (c === '`') ticks++;
    else if ((c === '\n' || c === ' ') && i - tailStart >= MIN_CUT_CHARS) {
      const kind = c === '\n' ? 'lineBreak' : 'space';
      anywhere[kind] = i + 1;
      if (dollars % 2 === 0 && ticks % 2 === 0) balanced[kind] = i + 1;
    }
  }
  const cut = (points: typeof balanced) => (points.lineBreak > 0 ? points.lineBreak : points.space > 0 ? points.space : tailStart);
  const safe = cut(balanced);
  return safe > tailStart || text.length - tailStart <= MAX_UNBALANCED_TAIL_CHARS ? safe : cut(anywhere);
}
