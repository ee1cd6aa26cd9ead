import { useState, type FormEvent } from 'react';
import type { ConvertDtype } from '../../../electron/contract/convert';
import type { CatalogItem } from '../../../electron/contract/downloads';
import { Button } from '../../components/Button';
import { Card } from '../../components/Card';
import { JobRow } from '../../components/JobRow';
import { isActive } from '../../state/jobs';
import { useNow } from '../../state/useNow';
import { fileLine, fitFor, looksLikeRepoId, parametersLabel, sizeLine, speedLine, VERDICT_LABELS, VERDICT_TONES } from './catalogView';
import { useCatalog, type CatalogState } from './useCatalog';
import './catalog.css';

function FitTable({ item, dtype, onPick }: { item: CatalogItem; dtype: ConvertDtype; onPick(dtype: ConvertDtype): void }) {
  return (
    <table className="fit-table" data-testid="fit-table">
      <tbody>
        {item.fits.map((fit) => (
          <tr key={fit.dtype} className={fit.dtype === dtype ? 'fit-chosen' : undefined} onClick={() => onPick(fit.dtype)} title={fit.summary}>
            <td>{fit.dtype}{fit.dtype === item.recommendedDtype ? ' (recommended)' : ''}</td>
            <td>
              <span className={`badge badge-${VERDICT_TONES[fit.verdict]}`} data-testid={`verdict-${fit.dtype}`}>{VERDICT_LABELS[fit.verdict]}</span>
            </td>
            <td className="muted">{fit.summary.replace(/^\w+: /, '')}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function CatalogEntry({ item, catalog, offline }: { item: CatalogItem; catalog: CatalogState; offline: boolean }) {
  const [dtype, setDtype] = useState<ConvertDtype>(item.recommendedDtype);
  const source = item.sources[0];
  const busy = catalog.jobs.some((j) => isActive(j) && j.title.includes(source.repo));
  return (
    <li className="catalog-entry" data-testid="catalog-entry" data-entry-id={item.id}>
      <div className="catalog-head">
        <span className="catalog-name">{item.name}</span>
        <span className="muted">{parametersLabel(item.parameters)} · {item.family} · context {item.contextLength.toLocaleString('en')}</span>
        {item.modelIds.length > 0 && <span className="badge badge-ok">In your models</span>}
        {item.inCache && item.modelIds.length === 0 && <span className="badge">Checkpoint on disk</span>}
      </div>
      <p className="catalog-good-for">{item.goodFor}</p>
      <p className="muted catalog-small">
        {item.license} · temperature {item.recommended.temperature}, top-p {item.recommended.topP} · {item.recommended.note}
      </p>
      <details className="catalog-fit" open={item.id === 'qwen-1.5b' || item.custom}>
        <summary>
          Will it fit? <span className={`badge badge-${VERDICT_TONES[fitFor(item, dtype).verdict]}`}>{VERDICT_LABELS[fitFor(item, dtype).verdict]}</span> with {dtype}
        </summary>
        <FitTable item={item} dtype={dtype} onPick={setDtype} />
      </details>
      <div className="catalog-actions">
        <select className="select" aria-label={`Precision for ${item.name}`} value={dtype} onChange={(e) => setDtype(e.target.value as ConvertDtype)}>
          {item.fits.map((fit) => (
            <option key={fit.dtype} value={fit.dtype}>
              {fit.dtype}{fit.dtype === item.recommendedDtype ? ' (recommended)' : ''}
            </option>
          ))}
        </select>
        <span className="muted catalog-small" data-testid="catalog-size">{sizeLine(item, dtype)}</span>
        <Button variant="primary" disabled={offline || busy} onClick={() => void catalog.start(source.repo, dtype)} aria-label={`Download ${item.name}`}>
          {busy ? 'Downloading…' : 'Download'}
        </Button>
      </div>
      <p className="muted catalog-small">From {source.repo}{item.sources[1] ? ` (ready ONNX: ${item.sources[1].repo})` : ''}</p>
    </li>
  );
}

function Downloads({ catalog }: { catalog: CatalogState }) {
  const now = useNow(catalog.jobs.some(isActive));
  if (catalog.jobs.length === 0) return null;
  const details = catalog.jobs.filter((job) => job.state === 'running' && catalog.progress[job.id]);
  return (
    <>
      <ul className="job-list" data-testid="download-jobs">
        {catalog.jobs.map((job) => (
          <JobRow key={job.id} job={job} now={now} actions={catalog.actions} testId="download-job" />
        ))}
      </ul>
      {details.map((job) => {
        const detail = catalog.progress[job.id];
        return (
          <div key={job.id} className="download-files" data-testid="download-files">
            <div className="muted">{job.title}: {speedLine(detail)}</div>
            {detail.files.map((f) => (
              <div key={f.path} className="download-file">{fileLine(f)}</div>
            ))}
          </div>
        );
      })}
    </>
  );
}

/** The six R1 distills (or any org/name repo) with a fit verdict for this machine, and their downloads. */
export function CatalogCard({ onModelAdded }: { onModelAdded(): void }) {
  const catalog = useCatalog(onModelAdded);
  const offline = catalog.list?.offline ?? false;
  const repoTyped = looksLikeRepoId(catalog.query);
  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (repoTyped) void catalog.lookup();
  };
  const items = repoTyped && catalog.lookedUp ? [catalog.lookedUp] : (catalog.list?.items ?? []);
  return (
    <Card
      title="Get a model"
      testId="catalog-card"
      description={
        offline
          ? 'Offline mode is on (Settings): only the models already on this machine are shown.'
          : 'The R1 distills from the official deepseek-ai repositories: downloaded into the Hugging Face cache (resumable, checked), then converted here. Or type any org/name repository.'
      }
    >
      {catalog.list && <p className="muted catalog-small" data-testid="machine-summary">This machine: {catalog.list.machine.gpuNote} Providers: {catalog.list.machine.providers.join(', ')}.</p>}
      <form onSubmit={submit} className="catalog-search">
        <input className="input" aria-label="Search models" placeholder="Search, or org/name of a repository" value={catalog.query} onChange={(e) => catalog.setQuery(e.target.value)} spellCheck={false} />
        {repoTyped && (
          <Button type="submit" variant="secondary" disabled={catalog.looking || offline}>
            {catalog.looking ? 'Looking up…' : 'Look up'}
          </Button>
        )}
      </form>
      {catalog.error && <div className="inline-error" role="alert" data-testid="catalog-error">{catalog.error}</div>}
      <Downloads catalog={catalog} />
      <ul className="catalog-list" data-testid="catalog-list">
        {items.map((item) => (
          <CatalogEntry key={item.id} item={item} catalog={catalog} offline={offline} />
        ))}
      </ul>
    </Card>
  );
}
