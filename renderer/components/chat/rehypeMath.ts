/**
 * Math elements (remark-math's `math-inline` / `math-display`, and ```math fences) rendered with KaTeX, as rehype-katex
 * does, but with each formula's tree kept: a streaming reply re-parses its open tail on every update, and rendering
 * the same formulas again (KaTeX, then its HTML parsed into a tree) was about 40% of the page's Markdown work on a long
 * thought. KaTeX's HTML is parsed with parse5 (no DOM): parsing its style="" attributes in a <template> would count
 * against the CSP's style-src.
 */
import type { ElementContent, Root } from 'hast';
import { fromHtml } from 'hast-util-from-html';
import { toText } from 'hast-util-to-text';
import katex from 'katex';
import { SKIP, visitParents } from 'unist-util-visit-parents';
import { classesOf, KATEX_OPTIONS } from './mathPlugins';

/** Formulas kept, the least recently used dropped first: a long thought repeats its few dozen symbols and expressions. */
export const MATH_CACHE_SIZE = 2000;
const rendered = new Map<string, readonly ElementContent[]>();

function katexTree(value: string, displayMode: boolean): ElementContent[] {
  let html: string;
  try {
    html = katex.renderToString(value, { ...KATEX_OPTIONS, displayMode, throwOnError: true });
  } catch {
    // KaTeX handles its ParseErrors when throwOnError is off; anything else becomes the same red error text.
    try {
      html = katex.renderToString(value, { ...KATEX_OPTIONS, displayMode, strict: 'ignore', throwOnError: false });
    } catch (error) {
      return [{ type: 'element', tagName: 'span', properties: { className: ['katex-error'], title: String(error) }, children: [{ type: 'text', value }] }];
    }
  }
  return fromHtml(html, { fragment: true }).children as ElementContent[];
}

/** KaTeX's tree for one formula: a fresh copy each time (the caller's tree is its own to change). */
export function mathTree(value: string, displayMode: boolean): ElementContent[] {
  const key = `${displayMode ? 'D' : 'I'}${value}`;
  let tree = rendered.get(key);
  if (tree) rendered.delete(key);
  else tree = katexTree(value, displayMode);
  rendered.set(key, tree);
  if (rendered.size > MATH_CACHE_SIZE) rendered.delete(rendered.keys().next().value as string);
  return structuredClone(tree) as ElementContent[];
}

export function rehypeMath() {
  return (tree: Root) => {
    visitParents(tree, 'element', (element, parents) => {
      const classes = classesOf(element);
      const languageMath = classes.includes('language-math');
      const display = classes.includes('math-display');
      if (!languageMath && !display && !classes.includes('math-inline')) return;
      const direct = parents[parents.length - 1];
      // A ```math fence: replace its <pre>, in display mode.
      const pre = element.tagName === 'code' && languageMath && direct?.type === 'element' && direct.tagName === 'pre' ? direct : undefined;
      const scope = pre ?? element;
      const parent = pre ? parents[parents.length - 2] : direct;
      if (!parent) return;
      parent.children.splice(parent.children.indexOf(scope), 1, ...mathTree(toText(scope, { whitespace: 'pre' }), display || pre !== undefined));
      return SKIP;
    });
  };
}
