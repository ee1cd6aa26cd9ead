import type { CompareVerdict, ReplyFigures } from '../../../electron/contract/chat';
import { agreementLabel, answerLabel, correctnessMark, verdictLines } from '../../state/compareVerdict';

function AnswerCell({ figures, side }: { figures: ReplyFigures | undefined; side: 'left' | 'right' }) {
  const mark = correctnessMark(figures);
  return (
    <td data-testid={`verdict-${side}-answer`}>
      <span className="verdict-answer selectable">{answerLabel(figures)}</span>
      {mark && (
        <span className={mark === '✓' ? 'verdict-mark verdict-right' : 'verdict-mark verdict-wrong'} data-testid={`verdict-${side}-mark`} aria-label={mark === '✓' ? 'correct' : 'wrong'}>
          {mark}
        </span>
      )}
    </td>
  );
}

/**
 * After both replies finished: do the final boxed answers agree, are they right, and the figures side by side (one
 * row per model, so the row stays short under the columns).
 */
export function VerdictRow({ verdict }: { verdict: CompareVerdict }) {
  const agreeTone = !verdict.ready ? 'muted' : verdict.agree ? 'agree' : 'differ';
  const lines = verdictLines(verdict);
  return (
    <section className="verdict" aria-label="Verdict" data-testid="verdict">
      <table className="verdict-table">
        <caption>
          <span className={`verdict-agreement verdict-${agreeTone}`} data-testid="verdict-agreement">
            {agreementLabel(verdict)}
          </span>
          {verdict.expectedAnswer && <span className="verdict-expected"> · expected {verdict.expectedAnswer}</span>}
        </caption>
        <thead>
          <tr>
            <th scope="col">Model</th>
            <th scope="col">Final answer</th>
            {lines.map((line) => (
              <th scope="col" key={line.label}>
                {line.label}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {(['left', 'right'] as const).map((side) => (
            <tr key={side} data-testid={`verdict-${side}`}>
              <th scope="row">{side === 'left' ? 'A' : 'B'}</th>
              <AnswerCell figures={verdict[side]} side={side} />
              {lines.map((line) => (
                <td key={line.label}>{line[side]}</td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}
