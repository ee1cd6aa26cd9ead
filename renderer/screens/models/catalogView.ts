/** The catalog card's pure parts: words for verdicts, what the search box holds, per-file progress in words. */
import type { Job } from '../../../electron/contract/api';
import type { ConvertDtype } from '../../../electron/contract/convert';
import type { CatalogItem, DownloadProgress, DtypeFit, FitVerdict } from '../../../electron/contract/downloads';
import { formatBytes, formatDuration } from '../../state/format';

export const VERDICT_LABELS: Record<FitVerdict, string> = { gpu: 'Fits on the GPU', cpu: 'CPU only', none: 'Will not fit' };
export const VERDICT_TONES: Record<FitVerdict, string> = { gpu: 'ok', cpu: 'running', none: 'failed' };

const REPO_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,95}\/[A-Za-z0-9][A-Za-z0-9._-]{0,95}$/;

/** "org/name" typed into the search box: a repo to look up on the hub. */
export function looksLikeRepoId(query: string): boolean {
  const q = query.trim();
  return REPO_ID.test(q) && !q.includes('..');
}

export function fitFor(item: CatalogItem, dtype: ConvertDtype): DtypeFit {
  return item.fits.find((f) => f.dtype === dtype) ?? item.fits[0];
}

/** "3.6 GB download · 1.4 GB on disk after conversion" for the chosen precision. */
export function sizeLine(item: CatalogItem, dtype: ConvertDtype): string {
  const fit = fitFor(item, dtype);
  const source = item.sources[0];
  const kept = source.kind === 'safetensors' ? ` + ${formatBytes(fit.weightsBytes)} converted` : '';
  return `${formatBytes(fit.downloadBytes)} download${kept} · needs ${formatBytes(fit.totalBytes)} of memory at ${item.fitContext} tokens`;
}

export function parametersLabel(n: number): string {
  return n >= 1e9 ? `${(n / 1e9).toFixed(1)}B parameters` : `${Math.round(n / 1e6)}M parameters`;
}

/** "model-00001-of-00002.safetensors · 1.2 GB of 3.5 GB" */
export function fileLine(file: DownloadProgress['files'][number]): string {
  if (file.state === 'cached') return `${file.path} · already on disk`;
  if (file.state === 'done') return `${file.path} · ${formatBytes(file.size)} verified`;
  if (file.state === 'waiting') return `${file.path} · waiting`;
  return `${file.path} · ${formatBytes(file.done)} of ${formatBytes(file.size)}`;
}

/** "24.0 MB/s · about 2 min 10 s left" */
export function speedLine(progress: DownloadProgress): string {
  const parts = [`${formatBytes(progress.bytesDone)} of ${formatBytes(progress.bytesTotal)}`];
  if (progress.bytesPerSecond > 0) parts.push(`${formatBytes(progress.bytesPerSecond)}/s`);
  if (progress.etaSeconds !== undefined) parts.push(`about ${formatDuration(progress.etaSeconds)} left`);
  return parts.join(' · ');
}

/** Download and conversion jobs, newest first: those running or resumable, and the last few that ended. */
export function downloadJobs(jobs: Job[], mine: ReadonlySet<string>): Job[] {
  return jobs.filter((j) => (j.kind === 'download' || (j.kind === 'convert' && mine.has(j.id))) && (mine.has(j.id) || j.state === 'running' || j.resumable));
}
