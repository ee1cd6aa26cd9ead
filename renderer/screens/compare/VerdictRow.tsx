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

/** After both replies finished: do the final boxed answers agree, are they right, and the figures side by side. */
export function VerdictRow({ verdict }: { verdict: CompareVerdict }) {
  const agreeTone = !verdict.ready ? 'muted' : verdict.agree ? 'agree' : 'differ';
  return (
    <section className="verdict" aria-label="Verdict" data-testid="verdict">
      <table className="verdict-table">
        <thead>
          <tr>
            <th scope="col">
              <span className={`verdict-agreement verdict-${agreeTone}`} data-testid="verdict-agreement">
                {agreementLabel(verdict)}
              </span>
            </th>
            <th scope="col">A</th>
            <th scope="col">B</th>
          </tr>
        </thead>
        <tbody>
          <tr>
            <th scope="row">Final answer{verdict.expectedAnswer ? ` (expected ${verdict.expectedAnswer})` : ''}</th>
            <AnswerCell figures={verdict.left} side="left" />
            <AnswerCell figures={verdict.right} side="right" />
          </tr>
          {verdictLines(verdict).map((line) => (
            <tr key={line.label}>
              <th scope="row">{line.label}</th>
              <td>{line.left}</td>
              <td>{line.right}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}
