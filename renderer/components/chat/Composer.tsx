import { useEffect, useRef, useState, type KeyboardEvent } from 'react';
import { Button } from '../Button';
import { StopIcon } from '../Icons';
import './composer.css';

const isMac = typeof navigator !== 'undefined' && /Mac|iPhone|iPad/.test(navigator.platform);

/**
 * The prompt box: Enter sends, Shift+Enter makes a new line, Esc (or the Stop button) stops the reply.
 * The text is cleared only when the send was accepted, so a refused send never loses what was typed.
 */
export function Composer({
  onSend,
  onStop,
  streaming,
  disabled,
  disabledReason,
  placeholder = 'Ask anything…',
  autoFocusKey,
  initialText = '',
  hint = `Enter to send · Shift+Enter new line · ${isMac ? '⌘' : 'Ctrl'}+N new chat`,
}: {
  onSend(text: string): Promise<boolean>;
  onStop(): void;
  streaming: boolean;
  disabled?: boolean;
  disabledReason?: string;
  placeholder?: string;
  /** Focus the box again whenever this changes (e.g. another chat was opened). */
  autoFocusKey?: unknown;
  /** Shown under the box while idle. */
  hint?: string;
  /** Text the box starts with (a prompt handed over from another screen). */
  initialText?: string;
}) {
  const [text, setText] = useState(initialText);
  const [sending, setSending] = useState(false);
  const box = useRef<HTMLTextAreaElement>(null);
  const stopRef = useRef(onStop);
  stopRef.current = onStop;
  const canSend = !disabled && !streaming && !sending && text.trim().length > 0;

  useEffect(() => {
    box.current?.focus();
  }, [autoFocusKey]);

  // Esc stops from anywhere on the screen, not only from the box (a popover that handles Esc itself stops it first).
  useEffect(() => {
    if (!streaming) return;
    const onKey = (event: globalThis.KeyboardEvent) => {
      if (event.key === 'Escape' && !event.defaultPrevented) {
        event.preventDefault();
        stopRef.current();
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [streaming]);

  useEffect(() => {
    const el = box.current;
    if (!el) return;
    el.style.height = 'auto';
    el.style.height = `${Math.min(el.scrollHeight, 240)}px`;
  }, [text]);

  const send = async () => {
    if (!canSend) return;
    setSending(true);
    const accepted = await onSend(text.trim());
    setSending(false);
    if (accepted) setText('');
  };

  const onKeyDown = (event: KeyboardEvent<HTMLTextAreaElement>) => {
    if (event.key === 'Enter' && !event.shiftKey && !event.nativeEvent.isComposing) {
      event.preventDefault();
      void send();
    }
  };

  return (
    <div className={`composer${disabled ? ' composer-disabled' : ''}`}>
      <textarea
        ref={box}
        className="composer-input"
        aria-label="Message"
        rows={1}
        value={text}
        placeholder={disabled && disabledReason ? disabledReason : placeholder}
        onChange={(event) => setText(event.target.value)}
        onKeyDown={onKeyDown}
        disabled={disabled}
      />
      <div className="composer-actions">
        <span className="composer-hint">
          {streaming ? 'Esc to stop' : hint}
        </span>
        {streaming ? (
          <Button variant="secondary" icon={<StopIcon />} onClick={onStop}>
            Stop
          </Button>
        ) : (
          <Button variant="primary" onClick={() => void send()} disabled={!canSend}>
            {sending ? 'Sending…' : 'Send'}
          </Button>
        )}
      </div>
    </div>
  );
}
