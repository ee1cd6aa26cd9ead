/** Pure logic of the Compare verdict row: the figures side by side, formatted. Unit-tested without a DOM. */
import type { CompareVerdict, ReplyFigures } from '../../electron/contract/chat';
import { formatMs } from './chatMessages';

export interface VerdictLine {
  label: string;
  left: string;
  right: string;
}

const dash = '—';
const num = (value: number | undefined, digits = 0) => (value === undefined ? dash : value.toFixed(digits));
const ms = (value: number | undefined) => (value === undefined ? dash : formatMs(value));

/** ✓ / ✗ against the expected answer, or nothing without one. */
export function correctnessMark(figures: ReplyFigures | undefined): '✓' | '✗' | '' {
  if (figures?.correct === undefined) return '';
  return figures.correct ? '✓' : '✗';
}

/** The boxed answer as shown in the row: the normalised form, or why there is none. */
export function answerLabel(figures: ReplyFigures | undefined): string {
  if (!figures) return dash;
  return figures.normalized !== undefined ? figures.normalized : 'no \\boxed{} answer';
}

export function verdictLines(verdict: CompareVerdict): VerdictLine[] {
  const { left: l, right: r } = verdict;
  const line = (label: string, f: (x: ReplyFigures | undefined) => string): VerdictLine => ({ label, left: f(l), right: f(r) });
  return [
    line('TTFT', (x) => ms(x?.timeToFirstTokenMs)),
    line('Thinking tokens', (x) => num(x?.thinkingTokens)),
    line('Thinking time', (x) => ms(x?.thinkingMs)),
    line('Answer tokens', (x) => num(x?.answerTokens)),
    line('Tokens/s', (x) => num(x?.tokensPerSecond, 1)),
    line('Thinking : answer', (x) => (x?.thinkingRatio === undefined ? dash : `${x.thinkingRatio.toFixed(1)} : 1`)),
  ];
}

/** The headline: do the two final answers agree? */
export function agreementLabel(verdict: CompareVerdict): string {
  if (!verdict.ready) return 'Waiting for both replies';
  if (verdict.left?.normalized === undefined || verdict.right?.normalized === undefined) return 'No boxed answer to compare';
  return verdict.agree ? 'Answers agree' : 'Answers differ';
}
