import type { ReactNode } from 'react';
import type { ChatMessage } from '../../../electron/contract/inference';
import { statsParts, statusNote, type LiveStats } from '../../state/chatMessages';
import { Button } from '../Button';
import { AlertIcon, RefreshIcon } from '../Icons';
import { StreamingMarkdown } from './StreamingMarkdown';
import { ThinkingBlock } from './ThinkingBlock';

export interface MessageViewProps {
  message: ChatMessage;
  live?: LiveStats;
  /** Offered on a failed or interrupted reply: sends its question again. */
  onRetry?: () => void;
  /** Per-message controls (copy, regenerate, versions…), shown in the message's meta row: a slot filled by the screen. */
  actions?: ReactNode;
}

function UserMessage({ message, actions }: { message: ChatMessage; actions?: ReactNode }) {
  return (
    <article className="message message-user" data-testid="message-user" data-message-id={message.id}>
      <div className="message-bubble selectable">{message.content}</div>
      {actions && <div className="message-actions-slot">{actions}</div>}
    </article>
  );
}

function StatusLine({ message, onRetry, actions }: { message: ChatMessage; onRetry?: () => void; actions?: ReactNode }) {
  const note = statusNote(message);
  const stats = statsParts(message.stats);
  if (!note && stats.length === 0 && !actions) return null;
  return (
    <div className="message-meta">
      {actions && <div className="message-actions-slot">{actions}</div>}
      {note && (
        <span className={`badge badge-note-${note.tone}`} data-testid="message-status">
          {note.label}
        </span>
      )}
      {stats.length > 0 && (
        <span className="message-stats" data-testid="message-stats">
          {stats.join(' · ')}
        </span>
      )}
      {onRetry && (message.status === 'error' || message.status === 'interrupted') && (
        <Button variant="ghost" className="message-retry" icon={<RefreshIcon />} onClick={onRetry}>
          Retry
        </Button>
      )}
    </div>
  );
}

/** One assistant reply: thinking block, answer (Markdown, untrusted), error, stats and status. */
function AssistantMessage({ message, live, onRetry, actions }: MessageViewProps) {
  const streaming = message.status === 'streaming';
  const waiting = streaming && message.content.length === 0 && (message.reasoning ?? '').length === 0;
  return (
    <article
      className={`message message-assistant message-status-${message.status}`}
      data-testid="message-assistant"
      data-status={message.status}
      data-message-id={message.id}
      aria-busy={streaming}
    >
      {waiting ? (
        <div className="message-waiting" data-testid="message-waiting">
          <span className="dot-pulse" aria-hidden="true" />
          Starting the model…
        </div>
      ) : (
        <ThinkingBlock message={message} live={live} />
      )}
      {message.content.length > 0 && (
        <div className="message-answer selectable" data-testid="answer">
          <StreamingMarkdown text={message.content} streaming={streaming} />
          {streaming && <span className="caret" aria-hidden="true" />}
        </div>
      )}
      {message.status === 'error' && message.error && (
        <div className="message-error" role="alert" data-testid="message-error">
          <AlertIcon />
          <span className="selectable">{message.error}</span>
        </div>
      )}
      <StatusLine message={message} onRetry={onRetry} actions={streaming ? undefined : actions} />
    </article>
  );
}

export function MessageView(props: MessageViewProps) {
  return props.message.role === 'user' ? <UserMessage message={props.message} actions={props.actions} /> : <AssistantMessage {...props} />;
}
