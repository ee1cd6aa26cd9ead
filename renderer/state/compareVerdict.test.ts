import { describe, expect, it } from 'vitest';
import type { CompareVerdict } from '../../electron/contract/chat';
import { agreementLabel, answerLabel, correctnessMark, verdictLines } from './compareVerdict';

const verdict: CompareVerdict = {
  ready: true,
  agree: true,
  expectedAnswer: '4',
  left: { messageId: 'l', status: 'complete', boxed: '4', normalized: '4', correct: true, timeToFirstTokenMs: 120, thinkingTokens: 30, thinkingMs: 2500, answerTokens: 10, tokensPerSecond: 12.34, thinkingRatio: 3 },
  right: { messageId: 'r', status: 'complete', boxed: '\\dfrac{8}{2}', normalized: '\\frac{8}{2}', correct: false },
};

describe('compare verdict', () => {
  it('formats the figures side by side, with a dash where a side has none', () => {
    expect(verdictLines(verdict)).toEqual([
      { label: 'TTFT', left: '120 ms', right: '—' },
      { label: 'Thinking tokens', left: '30', right: '—' },
      { label: 'Thinking time', left: '2.5 s', right: '—' },
      { label: 'Answer tokens', left: '10', right: '—' },
      { label: 'Tokens/s', left: '12.3', right: '—' },
      { label: 'Thinking : answer', left: '3.0 : 1', right: '—' },
    ]);
  });

  it('marks answers against the expected one and says whether they agree', () => {
    expect(correctnessMark(verdict.left)).toBe('✓');
    expect(correctnessMark(verdict.right)).toBe('✗');
    expect(correctnessMark({ messageId: 'x', status: 'complete' })).toBe('');
    expect(answerLabel(verdict.right)).toBe('\\frac{8}{2}');
    expect(answerLabel({ messageId: 'x', status: 'complete' })).toBe('no \\boxed{} answer');
    expect(agreementLabel(verdict)).toBe('Answers agree');
    expect(agreementLabel({ ...verdict, agree: false })).toBe('Answers differ');
    expect(agreementLabel({ ready: false })).toBe('Waiting for both replies');
    expect(agreementLabel({ ...verdict, right: { messageId: 'r', status: 'complete' } })).toBe('No boxed answer to compare');
  });
});
