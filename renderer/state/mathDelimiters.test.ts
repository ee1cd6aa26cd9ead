import { describe, expect, it } from 'vitest';
import { normalizeMathDelimiters } from './mathDelimiters';

describe('normalizeMathDelimiters', () => {
  it('rewrites \\( \\) to inline dollars and \\[ \\] to display dollars', () => {
    expect(normalizeMathDelimiters('so \\( x^2 \\) is even')).toBe('so $x^2$ is even');
    expect(normalizeMathDelimiters('\\[ \\boxed{55} \\]')).toBe('$$ \\boxed{55} $$');
    expect(normalizeMathDelimiters('Thus:\n\\[\n\\frac{1}{2}\n\\]\nDone')).toBe('Thus:\n\n$$\n\\frac{1}{2}\n$$\n\nDone');
  });

  it('leaves code spans, fenced code and LaTeX line breaks alone', () => {
    expect(normalizeMathDelimiters('`\\(a\\)` and \\(b\\)')).toBe('`\\(a\\)` and $b$');
    const fenced = '```\nprint("\\(x\\)")\n```\n\\(y\\)';
    expect(normalizeMathDelimiters(fenced)).toBe('```\nprint("\\(x\\)")\n```\n$y$');
    expect(normalizeMathDelimiters('$a \\\\[2pt] b$')).toBe('$a \\\\[2pt] b$');
  });

  it('puts a display $$ that shares its line with text on a line of its own', () => {
    expect(normalizeMathDelimiters('Pairing gives $$\n\\frac{1}{2}\n$$')).toBe('Pairing gives \n$$\n\\frac{1}{2}\n$$');
    expect(normalizeMathDelimiters('$$\n\\frac{1}{2} = x$$ so')).toBe('$$\n\\frac{1}{2} = x\n$$\n so');
    expect(normalizeMathDelimiters('inline $$x$$ stays')).toBe('inline $$x$$ stays');
  });

  it('leaves an unclosed delimiter as it is (still streaming)', () => {
    expect(normalizeMathDelimiters('so \\( x^2 ')).toBe('so \\( x^2 ');
  });
});
