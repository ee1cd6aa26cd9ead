import { useEffect, useMemo, useState, type ReactNode } from 'react';
import type { ElementContent } from 'hast';
import { copyText } from '../../state/clipboard';

type Highlighter = typeof import('./highlight');

/** The highlighter module once loaded (shared by every code block); loading starts with the first code block. */
let loaded: Highlighter | undefined;
let loading: Promise<Highlighter> | undefined;

function useHighlighter(wanted: boolean): Highlighter | undefined {
  const [module, setModule] = useState(loaded);
  useEffect(() => {
    if (!wanted || module) return;
    let alive = true;
    loading ??= import('./highlight').then((m) => (loaded = m));
    loading.then((m) => alive && setModule(m), () => undefined); // unloadable: the code stays plain
    return () => {
      alive = false;
    };
  }, [wanted, module]);
  return module;
}

/** Highlighter output as React elements: only spans with hljs classes and text (nothing else can come out of it). */
function toReact(nodes: ElementContent[], prefix = ''): ReactNode[] {
  return nodes.map((node, i) => {
    if (node.type === 'text') return node.value;
    if (node.type !== 'element') return null;
    const className = Array.isArray(node.properties?.className) ? node.properties.className.map(String).join(' ') : undefined;
    return (
      <span key={`${prefix}${i}`} className={className}>
        {toReact(node.children, `${prefix}${i}.`)}
      </span>
    );
  });
}

function CopyButton({ text }: { text: string }) {
  const [state, setState] = useState<'idle' | 'copied' | 'failed'>('idle');
  useEffect(() => {
    if (state === 'idle') return;
    const timer = setTimeout(() => setState('idle'), 1500);
    return () => clearTimeout(timer);
  }, [state]);
  return (
    <button type="button" className="code-copy" onClick={() => void copyText(text).then((ok) => setState(ok ? 'copied' : 'failed'))} aria-label="Copy code">
      {state === 'copied' ? 'Copied' : state === 'failed' ? 'Copy failed' : 'Copy'}
    </button>
  );
}

/**
 * A fenced code block: language label, copy button, highlighting once the highlighter has loaded. While the block is
 * still streaming (`open`) it stays plain: re-highlighting a growing block on every frame is work thrown away.
 */
export function CodeBlock({ code, language, open }: { code: string; language: string | undefined; open: boolean }) {
  const highlighter = useHighlighter(language !== undefined);
  const highlighted = useMemo(
    () => (highlighter && language && !open ? highlighter.highlightCode(code, language) : null),
    [highlighter, code, language, open],
  );
  return (
    <div className="code-block" data-testid="code-block" data-language={language ?? ''}>
      <div className="code-header">
        <span className="code-language">{language ?? 'text'}</span>
        <CopyButton text={code} />
      </div>
      <pre>
        <code className={highlighted ? `hljs language-${language}` : undefined} data-highlighted={highlighted ? 'true' : undefined}>
          {highlighted ? toReact(highlighted) : code}
        </code>
      </pre>
    </div>
  );
}
