import { useRef, type ReactNode } from 'react';
import type { ChatMessage } from '../../../electron/contract/inference';
import { promptFor, type LiveStats } from '../../state/chatMessages';
import { useAutoScroll } from './hooks';
import './messages.css';
import { MessageView } from './MessageView';

export interface MessageListProps {
  messages: ChatMessage[];
  live: Record<string, LiveStats>;
  onRetry?: (prompt: string) => void;
  empty?: ReactNode;
  testId?: string;
  /** Which conversation this is (a chat id): showing another one starts at its bottom, with no "Jump to latest". */
  conversationKey?: string | null;
  /** Per-message controls (copy, regenerate, versions…): the screen's slot in each message's meta row. */
  renderActions?: (message: ChatMessage) => ReactNode;
}

/**
 * A scrolling conversation, shared by Chat and Compare. Follows the stream to the bottom until the user scrolls up;
 * a "Jump to latest" button brings it back.
 */
export function MessageList({ messages, live, onRetry, empty, testId, conversationKey, renderActions }: MessageListProps) {
  const scroller = useRef<HTMLDivElement>(null);
  const last = messages[messages.length - 1];
  const contentKey = `${messages.length}:${last?.content.length ?? 0}:${last?.reasoning?.length ?? 0}:${last?.status}`;
  const { pinned, scrollToBottom } = useAutoScroll(scroller, contentKey, conversationKey);
  return (
    <div className="message-scroll-wrap">
      <div className="message-scroll" ref={scroller} data-testid={testId ?? 'message-list'}>
        <div className="message-list">
          {messages.length === 0 && empty}
          {messages.map((message) => {
            const prompt = onRetry && message.role === 'assistant' ? promptFor(messages, message.id) : undefined;
            return (
              <MessageView
                key={message.id}
                message={message}
                live={live[message.id]}
                onRetry={prompt !== undefined && onRetry ? () => onRetry(prompt) : undefined}
                actions={renderActions?.(message)}
              />
            );
          })}
        </div>
      </div>
      {!pinned && (
        <button type="button" className="jump-latest" data-testid="jump-latest" onClick={scrollToBottom}>
          ↓ Jump to latest
        </button>
      )}
    </div>
  );
}
