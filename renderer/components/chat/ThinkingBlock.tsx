import type { ChatMessage } from '../../../electron/contract/inference';
import { isThinking, thinkingHeader, thinkingOpen, type LiveStats } from '../../state/chatMessages';
import { useNow, useThinkingChoice } from './hooks';
import { StreamingMarkdown } from './StreamingMarkdown';

/**
 * The model's reasoning above its answer: open and streaming while it thinks, collapsed once the thought closes.
 * Rendered as Markdown with math (R1 reasons in LaTeX); a collapsed thought renders nothing but its header.
 */
export function ThinkingBlock({ message, live }: { message: ChatMessage; live: LiveStats | undefined }) {
  const [choice, setChoice] = useThinkingChoice(message.id);
  const reasoning = message.reasoning ?? '';
  const open = thinkingOpen(message, choice, live);
  const thinking = isThinking(message, live);
  if (reasoning.length === 0 && !thinking) return null;
  const bodyId = `thinking-${message.id}`;
  return (
    <div className={`thinking${thinking ? ' thinking-live' : ''}`} data-testid="thinking" data-open={open}>
      <button type="button" className="thinking-toggle" aria-expanded={open} aria-controls={bodyId} onClick={() => setChoice(!open)}>
        <span className="thinking-chevron" aria-hidden="true">
          ▸
        </span>
        <ThinkingHeader message={message} live={live} thinking={thinking} />
        {thinking && <span className="thinking-pulse" aria-hidden="true" />}
      </button>
      {open && (
        <div id={bodyId} className="thinking-body selectable" data-testid="thinking-text">
          {reasoning.length > 0 ? <StreamingMarkdown text={reasoning} streaming={thinking} /> : <span className="muted">…</span>}
        </div>
      )}
    </div>
  );
}

/**
 * The header's live figures tick while the model thinks: only this line re-renders on each tick (a tick of the whole
 * conversation re-rendered every message and laid the page out again, 4 times a second).
 */
function ThinkingHeader({ message, live, thinking }: { message: ChatMessage; live: LiveStats | undefined; thinking: boolean }) {
  const now = useNow(thinking);
  return (
    <span className="thinking-label" data-testid="thinking-header">
      {thinkingHeader(message, live, now)}
    </span>
  );
}
