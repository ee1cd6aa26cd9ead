import type { Element, ElementContent, Root } from 'hast';
import katex from 'katex';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { MATH_CACHE_SIZE, mathTree, rehypeMath } from './rehypeMath';

const math = (value: string, className: string): Element => ({ type: 'element', tagName: 'code', properties: { className: [className] }, children: [{ type: 'text', value }] });
const paragraph = (...children: ElementContent[]): Root => ({ type: 'root', children: [{ type: 'element', tagName: 'p', properties: {}, children }] });
/** The tree after the plugin, as JSON: class names and tag names are easy to look for in it. */
const run = (tree: Root) => {
  rehypeMath()(tree);
  return JSON.stringify(tree);
};
const classCount = (json: string, name: string) => json.split(`"${name}"`).length - 1;

afterEach(() => vi.restoreAllMocks());

describe('rehypeMath', () => {
  it('renders inline and display math with KaTeX, as KaTeX itself does', () => {
    const html = run(paragraph(math('x^2 + \\frac{1}{2}', 'math-inline'), { type: 'text', value: ' and ' }, math('\\sum_i i', 'math-display')));
    expect(classCount(html, 'katex')).toBe(2);
    expect(classCount(html, 'katex-display')).toBe(1);
    expect(html).toContain('"tagName":"mfrac"'); // KaTeX's MathML for \frac
    expect(html).toContain('" and "');
    expect(html).not.toContain('math-inline');
  });

  it('renders a ```math fence in display mode, replacing its <pre>', () => {
    const tree: Root = { type: 'root', children: [{ type: 'element', tagName: 'pre', properties: {}, children: [math('a = b\n', 'language-math')] }] };
    const html = run(tree);
    expect(html).not.toContain('"pre"');
    expect(classCount(html, 'katex-display')).toBe(1);
  });

  it('renders a formula once, however often it streams past; each caller gets its own copy', () => {
    const render = vi.spyOn(katex, 'renderToString');
    const formula = `\\sqrt{${Math.random()}}`;
    const first = mathTree(formula, false);
    const second = mathTree(formula, false);
    expect(render).toHaveBeenCalledTimes(1);
    expect(second).toEqual(first);
    (first[0] as Element).properties.className = ['changed'];
    expect(mathTree(formula, false)).toEqual(second);
    mathTree(formula, true); // display mode is another rendering
    expect(render).toHaveBeenCalledTimes(2);
  });

  it(`keeps at most ${MATH_CACHE_SIZE} formulas, dropping the least recently used`, () => {
    const tag = Math.random();
    const formulas = Array.from({ length: MATH_CACHE_SIZE + 1 }, (_, i) => `${i}+${tag}`);
    mathTree(formulas[0], false);
    mathTree(formulas[1], false);
    for (const formula of formulas.slice(2)) mathTree(formula, false);
    const render = vi.spyOn(katex, 'renderToString');
    mathTree(formulas[formulas.length - 1], false); // kept
    mathTree(formulas[1], false); // kept: the oldest was formulas[0]
    expect(render).toHaveBeenCalledTimes(0);
    mathTree(formulas[0], false);
    expect(render).toHaveBeenCalledTimes(1);
  });

  it('shows \\href, \\url and \\htmlClass as red command text: no link or attribute from the formula', () => {
    const html = run(paragraph(math('\\href{javascript:alert(1)}{x} \\url{https://evil.example} \\htmlClass{pwn}{y}', 'math-inline')));
    expect(html).not.toContain('"tagName":"a"');
    expect(html).not.toContain('"pwn"');
    expect(html).not.toContain('"href"'); // the formula's text may show, as text
    expect(html).toContain('color:#cc0000'); // KaTeX's untrusted-command text
  });
});
