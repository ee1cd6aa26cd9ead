import { useCallback, useRef, useState, type ReactNode } from 'react';
import type { ChatMessage } from '../../../electron/contract/inference';
import { copyText } from '../../state/clipboard';
import { textToCopy, versionPosition, type CopyWhat } from '../../state/messageVersions';
import type { MessageActions as Actions } from '../../state/useMessageActions';
import { Button } from '../Button';
import { useDismiss } from './hooks';
import './popover.css';
import './message-actions.css';

const COPY_CHOICES: { what: CopyWhat; label: string }[] = [
  { what: 'answer', label: 'Copy answer' },
  { what: 'thinking', label: 'Copy thinking' },
  { what: 'both', label: 'Copy both' },
];

function useCopied(): [string | null, (label: string, text: string) => Promise<void>] {
  const [note, setNote] = useState<string | null>(null);
  const copy = useCallback(async (label: string, text: string) => {
    setNote((await copyText(text)) ? `${label}: copied` : 'The browser refused the clipboard');
    setTimeout(() => setNote(null), 1500);
  }, []);
  return [note, copy];
}

/** ‹ 2/3 ›: switches between the versions of a message (regenerated replies, edited questions). */
function VersionSwitcher({ message, onShow, disabled }: { message: ChatMessage; onShow(id: string): void; disabled: boolean }) {
  const position = versionPosition(message);
  if (!position) return null;
  return (
    <span className="version-switcher" data-testid="version-switcher">
      <button type="button" className="icon-button" aria-label="Previous version" disabled={disabled || !position.previousId} onClick={() => onShow(position.previousId!)}>
        ‹
      </button>
      <span data-testid="version-position">
        {position.index}/{position.count}
      </span>
      <button type="button" className="icon-button" aria-label="Next version" disabled={disabled || !position.nextId} onClick={() => onShow(position.nextId!)}>
        ›
      </button>
    </span>
  );
}

function CopyMenu({ message, onCopy }: { message: ChatMessage; onCopy(label: string, text: string): void }) {
  const [open, setOpen] = useState(false);
  const anchor = useRef<HTMLDivElement>(null);
  const close = useCallback(() => setOpen(false), []);
  useDismiss(anchor, open, close);
  if (message.role === 'user' || !(message.reasoning ?? '').trim()) {
    return (
      <Button variant="ghost" onClick={() => onCopy('Message', textToCopy(message, 'answer'))}>
        Copy
      </Button>
    );
  }
  return (
    <div className="popover-anchor" ref={anchor}>
      <Button variant="ghost" aria-haspopup="menu" aria-expanded={open} onClick={() => setOpen(!open)}>
        Copy ▾
      </Button>
      {open && (
        <div className="menu" role="menu" aria-label="Copy">
          {COPY_CHOICES.map(({ what, label }) => (
            <button
              key={what}
              type="button"
              role="menuitem"
              className="menu-item"
              onClick={() => {
                setOpen(false);
                onCopy(label.replace('Copy ', ''), textToCopy(message, what));
              }}
            >
              {label}
            </button>
          ))}
        </div>
      )}
    </div>
  );
}

/** Edit-and-resend: the edited question becomes a new version with its own reply; the old branch is kept. */
function EditBox({ message, onSend, onCancel }: { message: ChatMessage; onSend(text: string): Promise<boolean>; onCancel(): void }) {
  const [text, setText] = useState(message.content);
  const submit = async () => {
    if (text.trim() && (await onSend(text.trim()))) onCancel();
  };
  return (
    <form
      className="message-edit"
      onSubmit={(event) => {
        event.preventDefault();
        void submit();
      }}
    >
      <textarea
        className="input message-edit-input"
        aria-label="Edit message"
        value={text}
        autoFocus
        rows={Math.min(10, Math.max(2, text.split('\n').length))}
        onChange={(event) => setText(event.target.value)}
        onKeyDown={(event) => {
          if (event.key === 'Escape') onCancel();
          if (event.key === 'Enter' && (event.ctrlKey || event.metaKey)) {
            event.preventDefault();
            void submit();
          }
        }}
      />
      <div className="message-edit-actions">
        <Button variant="primary" type="submit" disabled={!text.trim() || text.trim() === message.content.trim()}>
          Save &amp; send
        </Button>
        <Button variant="ghost" onClick={onCancel}>
          Cancel
        </Button>
        <span className="field-hint">The current branch stays as a version.</span>
      </div>
    </form>
  );
}

export interface MessageActionsProps {
  message: ChatMessage;
  actions: Actions;
  /** The chat is answering: actions that start a reply wait. */
  busy: boolean;
  /** Extra controls for a reply (the vote). */
  extra?: ReactNode;
}

/** Per-message controls: versions, copy, regenerate or edit, delete (with confirm). */
export function MessageActions({ message, actions, busy, extra }: MessageActionsProps) {
  const [mode, setMode] = useState<'idle' | 'edit' | 'confirm'>('idle');
  const [copied, copy] = useCopied();
  const isReply = message.role === 'assistant';
  if (mode === 'edit') return <EditBox message={message} onSend={(text) => actions.edit(message, text)} onCancel={() => setMode('idle')} />;
  return (
    <div className="message-actions" data-testid="message-actions">
      <VersionSwitcher message={message} disabled={busy} onShow={(id) => void actions.showVersion(id)} />
      <CopyMenu message={message} onCopy={(label, text) => void copy(label, text)} />
      {isReply ? (
        <Button variant="ghost" disabled={busy} onClick={() => void actions.regenerate(message)} title="A new sample beside this one">
          Regenerate
        </Button>
      ) : (
        <Button variant="ghost" disabled={busy} onClick={() => setMode('edit')}>
          Edit
        </Button>
      )}
      {mode === 'confirm' ? (
        <span className="message-confirm" role="group" aria-label="Confirm delete">
          {isReply ? 'Delete this reply' : 'Delete this message and its replies'}?
          <Button variant="danger" onClick={() => void actions.remove(message.id).then(() => setMode('idle'))}>
            Delete
          </Button>
          <Button variant="ghost" onClick={() => setMode('idle')}>
            Cancel
          </Button>
        </span>
      ) : (
        <Button variant="ghost" disabled={busy} onClick={() => setMode('confirm')}>
          Delete
        </Button>
      )}
      {extra}
      {copied && (
        <span className="message-copied" role="status">
          {copied}
        </span>
      )}
    </div>
  );
}
