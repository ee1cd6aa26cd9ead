import { useRef } from 'react';
import type { ChatMessage } from '../../../electron/contract/inference';
import { isThinking, thinkingHeader, thinkingOpen, type LiveStats } from '../../state/chatMessages';
import { useAutoScroll, useThinkingChoice } from './hooks';
import { StreamingMarkdown } from './StreamingMarkdown';

/**
 * The model's reasoning above its answer: open and streaming while it thinks, collapsed once the thought closes.
 * Rendered as Markdown with math (R1 reasons in LaTeX); a collapsed thought renders nothing but its header.
 */
export function ThinkingBlock({ message, live, now }: { message: ChatMessage; live: LiveStats | undefined; now: number }) {
  const [choice, setChoice] = useThinkingChoice(message.id);
  const body = useRef<HTMLDivElement>(null);
  const reasoning = message.reasoning ?? '';
  const open = thinkingOpen(message, choice, live);
  const thinking = isThinking(message, live);
  // A live thought follows its newest line (until the reader scrolls up in it); a finished one opens at its start.
  useAutoScroll(body, thinking ? reasoning.length : 0, open && thinking);
  if (reasoning.length === 0 && !thinking) return null;
  const bodyId = `thinking-${message.id}`;
  return (
    <div className={`thinking${thinking ? ' thinking-live' : ''}`} data-testid="thinking" data-open={open}>
      <button type="button" className="thinking-toggle" aria-expanded={open} aria-controls={bodyId} onClick={() => setChoice(!open)}>
        <span className="thinking-chevron" aria-hidden="true">
          ▸
        </span>
        <span className="thinking-label" data-testid="thinking-header">
          {thinkingHeader(message, live, now)}
        </span>
        {thinking && <span className="thinking-pulse" aria-hidden="true" />}
      </button>
      {open && (
        <div id={bodyId} ref={body} className="thinking-body selectable" data-testid="thinking-text">
          {reasoning.length > 0 ? <StreamingMarkdown text={reasoning} streaming={thinking} /> : <span className="muted">…</span>}
        </div>
      )}
    </div>
  );
}
