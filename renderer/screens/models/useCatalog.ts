import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import type { Job } from '../../../electron/contract/api';
import type { ConvertDtype } from '../../../electron/contract/convert';
import type { CatalogItem, CatalogList, DownloadProgress } from '../../../electron/contract/downloads';
import { errorMessage } from '../../api';
import type { JobActions } from '../../components/JobRow';
import { useApi } from '../../state/ApiContext';
import { useJobs } from '../../state/useJobs';
import { useQuery } from '../../state/useQuery';
import { downloadJobs, looksLikeRepoId } from './catalogView';

export interface CatalogState {
  query: string;
  setQuery(query: string): void;
  list: CatalogList | null;
  /** A repo typed into the search box, looked up on the hub. */
  lookedUp: CatalogItem | null;
  lookup(): Promise<void>;
  looking: boolean;
  error: string | null;
  start(repo: string, dtype: ConvertDtype): Promise<void>;
  jobs: Job[];
  progress: Record<string, DownloadProgress>;
  actions: JobActions;
}

/**
 * The catalog, the downloads it started and their follow-on conversions. `onModelAdded` runs when a download or
 * conversion succeeds (the screen re-reads its model list and disk usage).
 */
export function useCatalog(onModelAdded: () => void): CatalogState {
  const api = useApi();
  const { jobs, error: jobsError, actions } = useJobs();
  const [query, setQuery] = useState('');
  const [lookedUp, setLookedUp] = useState<CatalogItem | null>(null);
  const [looking, setLooking] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [progress, setProgress] = useState<Record<string, DownloadProgress>>({});
  const [mine, setMine] = useState<ReadonlySet<string>>(new Set());
  const succeeded = useRef(new Set<string>());
  const notify = useRef(onModelAdded);
  notify.current = onModelAdded;
  const finished = jobs.filter((j) => j.state === 'succeeded' && (j.kind === 'download' || j.kind === 'convert')).map((j) => j.id).join();

  const words = looksLikeRepoId(query) ? '' : query;
  // a finished download or conversion changes what is on this machine: read the list again then
  const catalog = useQuery('catalog.list', words ? { query: words } : {}, { key: finished });

  useEffect(() => api.on('download.progress', (p) => setProgress((all) => ({ ...all, [p.jobId]: p }))), [api]);

  // A follow-on conversion belongs to the download that started it: it is shown with the downloads, and a model
  // added by either refreshes the screen.
  useEffect(() => {
    const firstDownload = Math.min(...jobs.filter((j) => j.kind === 'download' && mine.has(j.id)).map((j) => j.createdAt));
    const followOns = jobs.filter((j) => j.kind === 'convert' && !mine.has(j.id) && j.createdAt >= firstDownload);
    if (followOns.length) setMine((ids) => new Set([...ids, ...followOns.map((j) => j.id)]));
    const fresh = jobs.filter((j) => j.state === 'succeeded' && mine.has(j.id) && !succeeded.current.has(j.id));
    if (fresh.length === 0) return;
    for (const job of fresh) succeeded.current.add(job.id);
    notify.current();
  }, [jobs, mine]);

  const lookup = useCallback(async () => {
    setLooking(true);
    setError(null);
    try {
      setLookedUp(await api.call('catalog.lookup', { repo: query.trim() }));
    } catch (reason) {
      setLookedUp(null);
      setError(errorMessage(reason));
    } finally {
      setLooking(false);
    }
  }, [api, query]);

  const start = useCallback(
    async (repo: string, dtype: ConvertDtype) => {
      setError(null);
      try {
        const { jobId } = await api.call('downloads.start', { repo, dtype });
        setMine((ids) => new Set(ids).add(jobId));
      } catch (reason) {
        setError(errorMessage(reason));
      }
    },
    [api],
  );

  const visible = useMemo(() => downloadJobs(jobs, mine), [jobs, mine]);
  return { query, setQuery, list: catalog.data, lookedUp, lookup, looking, error: error ?? catalog.error ?? jobsError, start, jobs: visible, progress, actions };
}
