/**
 * Math in model output: remark-math finds `$…$` / `$$…$$`, rehypeMath (rehypeMath.ts) renders it with KaTeX.
 * KaTeX's safety settings: `trust: false` turns \href, \url, \includegraphics, \htmlClass, \htmlId, \htmlStyle and
 * \htmlData into red error text (no link, image or attribute ever comes from model output); maxExpand bounds macro
 * expansion (a `\def` bomb) and maxSize bounds \rule and spacing sizes. `strict` is about LaTeX compatibility, not
 * safety: R1 writes Unicode and non-standard TeX in math, which should render rather than warn.
 */
import type { Element, ElementContent, Root, RootContent } from 'hast';
import type { KatexOptions } from 'katex';

export const KATEX_OPTIONS: KatexOptions = {
  trust: false,
  strict: 'ignore',
  throwOnError: false,
  maxExpand: 1000,
  maxSize: 20,
  output: 'htmlAndMathml',
};

export const classesOf = (node: Element): string[] => {
  const className = node.properties?.className;
  return Array.isArray(className) ? className.map(String) : [];
};

const isMathElement = (node: Element): boolean => classesOf(node).some((c) => c === 'math-inline' || c === 'math-display');
const isMath = (node: RootContent | ElementContent): node is Element => node.type === 'element' && isMathElement(node);

const textOf = (node: Element): string =>
  node.children.map((child) => (child.type === 'text' ? child.value : child.type === 'element' ? textOf(child) : '')).join('');

const BOXED = /\\boxed\s*\{/;

/** Wraps math that holds `\boxed{…}` (R1's final answer) in `<span class="boxed-math">`, which highlights its box. */
function wrapBoxedMath(parent: Root | Element): void {
  parent.children = parent.children.map((child) => {
    if (child.type !== 'element') return child;
    // Display math is <pre><code class="math-display">: wrap the <pre>, which rehype-katex replaces as a whole.
    const math = isMathElement(child) ? child : child.tagName === 'pre' ? child.children.find(isMath) : undefined;
    if (math && BOXED.test(textOf(math))) {
      const wrapper: Element = { type: 'element', tagName: 'span', properties: { className: ['boxed-math'] }, children: [child] };
      return wrapper;
    }
    wrapBoxedMath(child);
    return child;
  }) as typeof parent.children;
}

export function rehypeBoxedMath() {
  return (tree: Root) => wrapBoxedMath(tree);
}
