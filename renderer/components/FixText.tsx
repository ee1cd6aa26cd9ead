import { useState } from 'react';
import { copyText } from '../state/clipboard';
import { fixTextParts } from '../state/fixText';
import './fix-text.css';

function CopyableCode({ code }: { code: string }) {
  const [copied, setCopied] = useState(false);
  return (
    <span className="fix-code">
      <code className="selectable">{code}</code>
      <button
        type="button"
        className="fix-copy"
        aria-label={`Copy ${code}`}
        onClick={() =>
          void copyText(code).then((ok) => {
            setCopied(ok);
            if (ok) setTimeout(() => setCopied(false), 1500);
          })
        }
      >
        {copied ? 'Copied' : 'Copy'}
      </button>
    </span>
  );
}

/** A fix-it text (provider availability, errors): commands shown as code with a copy button. */
export function FixText({ text, className }: { text: string; className?: string }) {
  return (
    <p className={className}>
      {fixTextParts(text).map((part, i) => (part.code ? <CopyableCode key={i} code={part.text} /> : <span key={i}>{part.text}</span>))}
    </p>
  );
}
