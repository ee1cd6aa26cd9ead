/**
 * Renders model output (untrusted) as Markdown. Safe by construction:
 * - react-markdown builds React elements, never HTML strings; without rehype-raw, raw HTML in the text is shown as
 *   text, so `<script>` or `<img onerror>` never reach the DOM as elements.
 * - URLs pass react-markdown's defaultUrlTransform (javascript:, data:, vbscript: … become empty), then links open
 *   only when they are http(s): in a new window with rel="noopener noreferrer", which the desktop app routes through
 *   its allow-listed external opener (everything else is denied there). Any other link is inert text.
 * - Images are never loaded (a reply must not make the app fetch anything): they show as their alt text.
 */
import { memo, type AnchorHTMLAttributes, type ImgHTMLAttributes } from 'react';
import ReactMarkdown, { type Components } from 'react-markdown';
import remarkGfm from 'remark-gfm';
import { remarkBoxed } from './remarkBoxed';

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

const components: Components = { a: SafeLink, img: InertImage };
const remarkPlugins = [remarkGfm, remarkBoxed];

/** Memoised: a long finished message is not re-parsed on every streamed piece of the next one. */
export const Markdown = memo(function Markdown({ text, className }: { text: string; className?: string }) {
  return (
    <div className={['markdown', className].filter(Boolean).join(' ')}>
      <ReactMarkdown remarkPlugins={remarkPlugins} components={components}>
        {text}
      </ReactMarkdown>
    </div>
  );
});
