import type { DataReport } from '../../../electron/contract/finetune';
import { Card } from '../../components/Card';
import { histogramBars } from '../../state/finetune';

function Count({ label, value, testId }: { label: string; value: number; testId: string }) {
  return (
    <div className="ft-count" data-testid={testId}>
      <span className="ft-count-value">{value.toLocaleString()}</span>
      <span className="ft-count-label">{label}</span>
    </div>
  );
}

function Histogram({ report }: { report: DataReport }) {
  const bars = histogramBars(report);
  if (!bars.length) return null;
  const marker = report.tokens.unit === 'tokens' ? bars.findIndex((b) => b.upTo > report.maxLength) : -1;
  return (
    <figure className="ft-histogram" aria-label="Length histogram" data-testid="token-histogram">
      <div className="ft-bars">
        {bars.map((bar, i) => (
          <div
            key={bar.upTo}
            className={`ft-bar${bar.over ? ' ft-bar-over' : ''}${i === marker ? ' ft-bar-marker' : ''}`}
            style={{ height: `${Math.max(2, bar.height * 100)}%` }}
            title={`${bar.from}–${bar.upTo} ${report.tokens.unit}: ${bar.count}`}
          />
        ))}
      </div>
      <figcaption className="muted">
        {report.tokens.unit}: p50 {report.tokens.p50} · p95 {report.tokens.p95} · max {report.tokens.max}
        {report.tokens.unit === 'tokens' ? (
          <span data-testid="over-max-length">
            {' '}· max length {report.maxLength} (marked) cuts {report.tokens.overMaxLength} record{report.tokens.overMaxLength === 1 ? '' : 's'}
          </span>
        ) : (
          ' · pick a base model to count tokens'
        )}
      </figcaption>
    </figure>
  );
}

function TokenPreview({ report }: { report: DataReport }) {
  if (!report.preview) return null;
  return (
    <details className="ft-preview" data-testid="token-preview">
      <summary>Token preview of the first record (highlighted tokens carry the loss)</summary>
      <p className="ft-tokens">
        {report.preview.tokens.map((t, i) => (
          <span key={i} className={t.loss ? 'ft-token ft-token-loss' : 'ft-token'} title={`id ${t.id}`}>
            {t.text}
          </span>
        ))}
      </p>
    </details>
  );
}

/** The import report: counts, formats, problems with file:line, lengths against the max length, the split. */
export function DataReportView({ report }: { report: DataReport }) {
  return (
    <Card title="Import report" testId="import-report" description={`${report.files} file${report.files === 1 ? '' : 's'} in ${report.folder}`}>
      <div className="ft-counts">
        <Count label="accepted" value={report.accepted} testId="count-accepted" />
        <Count label="repaired" value={report.repaired} testId="count-repaired" />
        <Count label="skipped" value={report.skipped} testId="count-skipped" />
        <Count label="duplicates" value={report.duplicates} testId="count-duplicates" />
        <Count label="training examples" value={report.examples} testId="count-examples" />
      </div>
      <ul className="ft-formats" aria-label="Records per format">
        {Object.entries(report.byFormat).map(([format, count]) => (
          <li key={format} data-testid={`format-${format}`}>
            <span>{format}</span> <strong>{count}</strong>
          </li>
        ))}
      </ul>
      <p className="muted" data-testid="split">
        Split (seed {report.split.seed}): {report.split.train} for training, {report.split.validation} for validation.
      </p>
      <Histogram report={report} />
      {report.problems.length > 0 && (
        <details className="ft-problems" open>
          <summary>{report.problems.length} problem{report.problems.length === 1 ? '' : 's'}</summary>
          <ul data-testid="problems">
            {report.problems.map((p, i) => (
              <li key={i}>
                <code>
                  {p.file}
                  {p.line !== undefined ? `:${p.line}` : p.row !== undefined ? ` row ${p.row}` : ''}
                </code>{' '}
                {p.reason}
              </li>
            ))}
          </ul>
        </details>
      )}
      <TokenPreview report={report} />
    </Card>
  );
}
