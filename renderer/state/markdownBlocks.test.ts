import { describe, expect, it } from 'vitest';
import { emptySplit, MAX_TAIL_CHARS, MAX_UNBALANCED_TAIL_CHARS, splitBlocks, tailInCodeFence, tailOf, type BlockSplit } from './markdownBlocks';

/** Streams text in pieces of `step` characters and returns every intermediate split. */
function stream(text: string, step: number): BlockSplit[] {
  const splits: BlockSplit[] = [];
  let split = emptySplit;
  for (let end = step; end < text.length + step; end += step) {
    split = splitBlocks(text.slice(0, Math.min(end, text.length)), split);
    splits.push(split);
  }
  return splits;
}

const whole = (split: BlockSplit) => split.blocks.join('') + tailOf(split);

describe('splitBlocks', () => {
  it('ends a block at a blank line once the next line starts', () => {
    let split = splitBlocks('First paragraph.\n\n');
    expect(split.blocks).toEqual([]);
    split = splitBlocks('First paragraph.\n\nSecond', split);
    expect(split.blocks).toEqual(['First paragraph.\n\n']);
    expect(tailOf(split)).toBe('Second');
  });

  it('keeps a code fence with blank lines in one block, and says the tail is in a fence', () => {
    const text = 'Code:\n\n```python\ndef f():\n\n    return 1\n';
    const split = splitBlocks(text);
    expect(split.blocks).toEqual(['Code:\n\n']);
    expect(tailOf(split)).toBe('```python\ndef f():\n\n    return 1\n');
    expect(tailInCodeFence(split)).toBe(true);
    const closed = splitBlocks(`${text}\`\`\`\n\nAfter`, split);
    expect(closed.blocks).toEqual(['Code:\n\n', '```python\ndef f():\n\n    return 1\n```\n\n']);
    expect(tailInCodeFence(closed)).toBe(false);
  });

  it('keeps $$ display math with blank lines in one block', () => {
    const split = splitBlocks('$$\na = b\n\n+ c\n$$\n\nNext');
    expect(split.blocks).toEqual(['$$\na = b\n\n+ c\n$$\n\n']);
    expect(tailOf(split)).toBe('Next');
    expect(splitBlocks('Inline $$x$$ stays\n\nNext').blocks).toEqual(['Inline $$x$$ stays\n\n']);
  });

  it('does not end a block before an indented line (list continuation, indented code)', () => {
    const split = splitBlocks('- item\n\n  more of the item\n\nNext');
    expect(split.blocks).toEqual(['- item\n\n  more of the item\n\n']);
  });

  it('cuts an oversized paragraph at a space outside inline math', () => {
    const sentence = 'so we get $a + b = c$ and then ';
    const text = sentence.repeat(Math.ceil((MAX_TAIL_CHARS * 1.5) / sentence.length));
    const split = splitBlocks(text);
    expect(split.blocks.length).toBe(1);
    expect(split.blocks[0].length).toBeGreaterThanOrEqual(MAX_TAIL_CHARS / 2);
    for (const block of [...split.blocks, tailOf(split)]) expect((block.match(/\$/g) ?? []).length % 2).toBe(0);
    expect(whole(split)).toBe(text);
    expect(split.cuts).toEqual([0]); // a cut mid-paragraph: the view joins it to what follows (no paragraph gap)
    // a block that ends at a blank line is a real paragraph break, not a cut
    const paragraphs = splitBlocks(`${text}\n\nNext paragraph`, split);
    expect(paragraphs.blocks.length).toBe(2);
    expect(paragraphs.cuts).toEqual([0]);
  });

  it('keeps the tail bounded after a lone $ or backtick that nothing closes (it would otherwise forbid every cut)', () => {
    for (const lone of ['costs $5 and ', 'a stray ` tick ']) {
      const text = lone + 'word '.repeat(MAX_UNBALANCED_TAIL_CHARS);
      const splits = stream(text, 40);
      const longest = Math.max(...splits.map((split) => tailOf(split).length));
      expect(longest).toBeLessThanOrEqual(MAX_UNBALANCED_TAIL_CHARS + 40);
      const final = splits[splits.length - 1];
      expect(final.blocks.length).toBeGreaterThan(1);
      expect(whole(final)).toBe(text);
    }
  });

  it('never cuts inside an open code fence', () => {
    const text = `\`\`\`\n${'x = 1\n'.repeat(MAX_TAIL_CHARS)}`;
    const split = splitBlocks(text);
    expect(split.blocks).toEqual([]);
    expect(tailInCodeFence(split)).toBe(true);
  });

  it('starts over when the text is replaced rather than extended', () => {
    const first = splitBlocks('One.\n\nTwo.\n\nThree');
    const replaced = splitBlocks('Other.\n\nText', first);
    expect(replaced.blocks).toEqual(['Other.\n\n']);
  });

  it('gives the same blocks streamed in any piece size as at once', () => {
    const text = r1Thought(3000);
    const once = splitBlocks(text);
    for (const step of [1, 7, 64]) {
      const last = stream(text, step).at(-1)!;
      expect(whole(last)).toBe(text);
      // Blocks can end at different places only through forced cuts (which depend on how much had arrived).
      expect(last.blocks.filter((b) => b.endsWith('\n\n'))).toEqual(once.blocks.filter((b) => b.endsWith('\n\n')));
    }
  });
});

/** R1-style reasoning: paragraphs with inline and display math, lists and a code block now and then. */
function r1Thought(tokens: number): string {
  const pieces = [
    'Okay, so I need to find the value of $x$ such that $x^2 - 5x + 6 = 0$. Let me think about how to factor this.',
    'The quadratic factors as $(x - 2)(x - 3) = 0$, so the roots are $x = 2$ and $x = 3$.',
    '$$\n\\frac{-b \\pm \\sqrt{b^2 - 4ac}}{2a} = \\frac{5 \\pm 1}{2}\n$$',
    'Wait, let me double-check:\n\n1. Plug in $x = 2$: $4 - 10 + 6 = 0$. ✓\n2. Plug in $x = 3$: $9 - 15 + 6 = 0$. ✓',
    '```python\nfor x in range(10):\n\n    print(x * x - 5 * x + 6)\n```',
    'Hmm, but the question asks for the sum, which is $2 + 3 = \\boxed{5}$.',
  ];
  let text = '';
  for (let i = 0; text.length < tokens * 4; i++) text += `${pieces[i % pieces.length]}\n\n`;
  return text.slice(0, tokens * 4);
}

describe('a 30,000-token thought streamed in engine-sized pieces', () => {
  const text = r1Thought(30_000);
  // The engine sends a piece about every 40 ms: ~10 tokens (~40 characters) at 250 tokens/s.
  const splits = stream(text, 40);
  const final = splits.at(-1)!;

  it('renders each finished block once: a block, once finished, never changes', () => {
    // What React.memo on a block's text sees: a block view re-renders only when its text changes.
    const renders = new Map<number, number>();
    const shown = new Map<number, string>();
    for (const split of splits) {
      split.blocks.forEach((block, index) => {
        if (shown.get(index) !== block) {
          renders.set(index, (renders.get(index) ?? 0) + 1);
          shown.set(index, block);
        }
      });
    }
    expect(final.blocks.length).toBeGreaterThan(500);
    expect([...renders.values()].every((count) => count === 1)).toBe(true);
    expect(renders.size).toBe(final.blocks.length);
    expect(whole(final)).toBe(text);
  });

  it('re-parses only a small tail on each piece, not the whole thought', () => {
    const tails = splits.map((split) => tailOf(split).length);
    const reparsed = tails.reduce((a, b) => a + b, 0);
    expect(Math.max(...tails)).toBeLessThanOrEqual(MAX_TAIL_CHARS + 40);
    // Re-parsing the whole text each time would cost about splits² × 40 / 2 characters; the tail costs a few per piece.
    expect(reparsed / splits.length).toBeLessThan(400);
  });

  it('keeps the same array when a piece finishes no block (the view skips the list)', () => {
    let unchanged = 0;
    for (let i = 1; i < splits.length; i++) {
      if (splits[i].blocks.length !== splits[i - 1].blocks.length) continue;
      unchanged++;
      expect(splits[i].blocks).toBe(splits[i - 1].blocks);
    }
    expect(unchanged).toBeGreaterThan(splits.length / 4);
  });
});
