import type { ChatMessage } from '../../../electron/contract/inference';
import { isThinking, thinkingOpen, thinkingSummary, type LiveStats } from '../../state/chatMessages';
import { formatMs } from '../../state/chatMessages';
import { useThinkingChoice } from './hooks';

function headerText(message: ChatMessage, live: LiveStats | undefined, now: number): string {
  const summary = thinkingSummary(message, live, now);
  const figures: string[] = [];
  if (summary.seconds !== undefined) figures.push(formatMs(summary.seconds * 1000));
  if (summary.tokens !== undefined) figures.push(`${summary.tokens} token${summary.tokens === 1 ? '' : 's'}`);
  const verb = isThinking(message) ? 'Thinking' : message.stats?.thinkingOpen || message.status !== 'complete' ? 'Thought (unfinished)' : 'Thought';
  return figures.length > 0 ? `${verb} · ${figures.join(' · ')}` : verb;
}

/** The model's reasoning above its answer: open and streaming while it thinks, collapsed once it answers. */
export function ThinkingBlock({ message, live, now }: { message: ChatMessage; live: LiveStats | undefined; now: number }) {
  const [choice, setChoice] = useThinkingChoice(message.id);
  const reasoning = message.reasoning ?? '';
  const thinking = isThinking(message);
  if (reasoning.length === 0 && !thinking) return null;
  const open = thinkingOpen(message, choice);
  const bodyId = `thinking-${message.id}`;
  return (
    <div className={`thinking${thinking ? ' thinking-live' : ''}`} data-testid="thinking" data-open={open}>
      <button type="button" className="thinking-toggle" aria-expanded={open} aria-controls={bodyId} onClick={() => setChoice(!open)}>
        <span className="thinking-chevron" aria-hidden="true">
          ▸
        </span>
        <span className="thinking-label">{headerText(message, live, now)}</span>
        {thinking && <span className="thinking-pulse" aria-hidden="true" />}
      </button>
      {open && (
        <div id={bodyId} className="thinking-body selectable" data-testid="thinking-text">
          {reasoning.length > 0 ? reasoning : <span className="muted">…</span>}
        </div>
      )}
    </div>
  );
}
