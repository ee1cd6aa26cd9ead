/**
 * Renders model output (untrusted) as Markdown with math and code. Safe by construction:
 * - react-markdown builds React elements, never HTML strings; without rehype-raw, raw HTML in the text is shown as
 *   text (skipHtml is off on purpose: `<script>` shows as the words a model wrote), so no tag from the text reaches
 *   the DOM as an element.
 * - Math goes through KaTeX with trust off (see mathPlugins.ts): KaTeX's HTML is parsed into a tree (parse5, no DOM)
 *   and built as React elements; \href, \url, \includegraphics and \html… commands become error text.
 *   KaTeX's inline style attributes are set by React through the CSSOM (element.style), which CSP does not restrict.
 * - URLs pass react-markdown's defaultUrlTransform (javascript:, data:, vbscript: … become empty), then links open
 *   only when they are http(s): in a new window with rel="noopener noreferrer", which the desktop app routes through
 *   its allow-listed external opener (everything else is denied there). Any other link is inert text.
 * - Images are never loaded (a reply must not make the app fetch anything): they show as their alt text.
 * - Code is highlighted by a lazily loaded highlighter that yields only spans and text (CodeBlock).
 */
import 'katex/dist/katex.min.css';
import { memo, type AnchorHTMLAttributes, type ImgHTMLAttributes } from 'react';
import type { Element } from 'hast';
import ReactMarkdown, { type Components, type Options } from 'react-markdown';
import remarkGfm from 'remark-gfm';
import remarkMath from 'remark-math';
import { normalizeMathDelimiters } from '../../state/mathDelimiters';
import { renderStats } from '../../state/renderStats';
import { CodeBlock } from './CodeBlock';
import { rehypeBoxedMath } from './mathPlugins';
import { rehypeMath } from './rehypeMath';
import { remarkBoxed } from './remarkBoxed';
import './markdown.css';

export function isOpenableUrl(href: string | undefined): href is string {
  if (!href) return false;
  try {
    const url = new URL(href);
    return url.protocol === 'https:' || url.protocol === 'http:';
  } catch {
    return false;
  }
}

function SafeLink({ href, children, title }: AnchorHTMLAttributes<HTMLAnchorElement> & { node?: unknown }) {
  if (!isOpenableUrl(href)) {
    return (
      <span className="md-link-inert" title="Link disabled: only web links can be opened">
        {children}
      </span>
    );
  }
  return (
    <a href={href} title={title ?? href} target="_blank" rel="noopener noreferrer">
      {children}
    </a>
  );
}

function InertImage({ alt, src }: ImgHTMLAttributes<HTMLImageElement> & { node?: unknown }) {
  return (
    <span className="md-image-inert" title={typeof src === 'string' && src ? `Image not loaded: ${src}` : 'Image not loaded'}>
      [image{alt ? `: ${alt}` : ''}]
    </span>
  );
}

const MAX_LANGUAGE_LENGTH = 24;

/** The language and text of a fenced code block, read from its syntax tree (`<pre><code class="language-x">`). */
function codeOf(pre: Element | undefined): { code: string; language: string | undefined } {
  const code = pre?.children.find((c): c is Element => c.type === 'element' && c.tagName === 'code');
  const classes = Array.isArray(code?.properties?.className) ? code.properties.className.map(String) : [];
  const language = classes.find((c) => c.startsWith('language-'))?.slice('language-'.length, 'language-'.length + MAX_LANGUAGE_LENGTH);
  const text = (code?.children ?? []).map((c) => (c.type === 'text' ? c.value : '')).join('');
  return { code: text.endsWith('\n') ? text.slice(0, -1) : text, language: language || undefined };
}

function componentsFor(open: boolean): Components {
  return {
    a: SafeLink,
    img: InertImage,
    pre: ({ node }) => <CodeBlock {...codeOf(node)} open={open} />,
  };
}

const finishedComponents = componentsFor(false);
const openComponents = componentsFor(true);
const remarkPlugins: Options['remarkPlugins'] = [remarkGfm, [remarkMath, { singleDollarTextMath: true }], remarkBoxed];
const rehypePlugins: Options['rehypePlugins'] = [rehypeBoxedMath, rehypeMath];

/**
 * One piece of Markdown, memoised on its text: a finished block of a streaming reply renders once. `tail`: this is the
 * open end of a streaming reply (counted apart); `codeOpen`: it ends inside a code fence, shown plain until it closes.
 */
export const MarkdownBlock = memo(function MarkdownBlock({ text, tail = false, codeOpen = false }: { text: string; tail?: boolean; codeOpen?: boolean }) {
  if (tail) renderStats.tailRenders++;
  else renderStats.finishedBlockRenders++;
  return (
    <ReactMarkdown remarkPlugins={remarkPlugins} rehypePlugins={rehypePlugins} components={codeOpen ? openComponents : finishedComponents}>
      {normalizeMathDelimiters(text)}
    </ReactMarkdown>
  );
});

/** A whole text as Markdown (short texts; a streaming reply uses StreamingMarkdown). */
export const Markdown = memo(function Markdown({ text, className }: { text: string; className?: string }) {
  return (
    <div className={['markdown', className].filter(Boolean).join(' ')}>
      <MarkdownBlock text={text} />
    </div>
  );
});
