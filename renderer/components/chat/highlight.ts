/**
 * Syntax highlighting, loaded on demand (a dynamic import: highlight.js's grammars stay out of the startup bundle).
 * rehype-highlight (lowlight, i.e. highlight.js on a syntax tree) needs neither eval nor WASM, so it runs under the
 * app's `script-src 'self'`. Its output is a tree of <span class="hljs-…"> and text, turned into React elements by
 * CodeBlock; nothing here builds HTML strings.
 */
import type { Element, ElementContent, Root } from 'hast';
import rehypeHighlight from 'rehype-highlight';

/** The spans and text of a highlighted piece of code, or null when the language is unknown. */
export type HighlightedCode = ElementContent[];

type Transformer = (tree: Root, file: { message(reason: string): void }) => void;

// Only code that names its language: guessing (highlightAuto) on every block costs more than it gives.
const transform = rehypeHighlight({ detect: false }) as unknown as Transformer;

export function highlightCode(code: string, language: string): HighlightedCode | null {
  const element: Element = { type: 'element', tagName: 'code', properties: { className: [`language-${language}`] }, children: [{ type: 'text', value: code }] };
  const tree: Root = { type: 'root', children: [{ type: 'element', tagName: 'pre', properties: {}, children: [element] }] };
  let unknown = false;
  transform(tree, { message: () => (unknown = true) });
  return unknown ? null : element.children;
}
