/**
 * A remark plugin that finds `\boxed{…}` (R1's final-answer convention) in text and marks it, so the answer can be
 * highlighted without a math renderer. Braces are matched, so `\boxed{\frac{1}{2}}` is one box.
 * The box is a plain `<span class="boxed-answer">` with the inner text as text: nothing here can create markup.
 */
import type { Parent, Root, RootContent, Text } from 'mdast';

const MARKER = '\\boxed{';

export interface BoxedPart {
  kind: 'text' | 'boxed';
  value: string;
}

/** Splits text into plain runs and boxed contents. An unclosed `\boxed{` stays plain text. */
export function splitBoxed(text: string): BoxedPart[] {
  const parts: BoxedPart[] = [];
  let rest = text;
  for (;;) {
    const start = rest.indexOf(MARKER);
    if (start < 0) break;
    const end = matchingBrace(rest, start + MARKER.length);
    if (end < 0) break;
    if (start > 0) parts.push({ kind: 'text', value: rest.slice(0, start) });
    parts.push({ kind: 'boxed', value: rest.slice(start + MARKER.length, end) });
    rest = rest.slice(end + 1);
  }
  if (rest.length > 0) parts.push({ kind: 'text', value: rest });
  return parts;
}

/** Index of the `}` closing the brace opened just before `from`, or -1. */
function matchingBrace(text: string, from: number): number {
  let depth = 1;
  for (let i = from; i < text.length; i++) {
    if (text[i] === '{') depth++;
    else if (text[i] === '}' && --depth === 0) return i;
  }
  return -1;
}

function boxedNode(value: string): RootContent {
  // An mdast node unknown to mdast-util-to-hast becomes the element named by data.hName, children converted as usual.
  return {
    type: 'emphasis',
    data: { hName: 'span', hProperties: { className: ['boxed-answer'], 'data-boxed': 'true' } },
    children: [{ type: 'text', value }],
  };
}

function transform(node: Parent): void {
  const children: RootContent[] = [];
  for (const child of node.children as RootContent[]) {
    if (child.type === 'text' && child.value.includes(MARKER)) {
      for (const part of splitBoxed((child as Text).value)) {
        children.push(part.kind === 'boxed' ? boxedNode(part.value) : { type: 'text', value: part.value });
      }
      continue;
    }
    // code and inlineCode carry a value, not children: their text is never boxed.
    if ('children' in child) transform(child as Parent);
    children.push(child);
  }
  node.children = children as Parent['children'];
}

export function remarkBoxed() {
  return (tree: Root) => transform(tree);
}
