import { useCallback, useEffect, useState } from 'react';
import type { BrowseResult } from '../../electron/contract/files';
import { errorMessage } from '../api';
import { useApi } from './ApiContext';

export interface FolderBrowserState {
  listing: BrowseResult | null;
  loading: boolean;
  error: string | null;
  showHidden: boolean;
  setShowHidden(show: boolean): void;
  open(path: string | undefined): void;
}

/** Headless mode's folder browser: one folder's listing at a time, through files.browse (the server checks the roots). */
export function useFolderBrowser(start: string | undefined): FolderBrowserState {
  const api = useApi();
  const [target, setTarget] = useState<string | undefined>(start);
  const [listing, setListing] = useState<BrowseResult | null>(null);
  const [loading, setLoading] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [showHidden, setShowHidden] = useState(false);

  useEffect(() => {
    let alive = true;
    setLoading(true);
    api.call('files.browse', { path: target, showHidden }).then(
      (result) => {
        if (!alive) return;
        setListing(result);
        setError(null);
        setLoading(false);
      },
      (reason: unknown) => {
        if (!alive) return;
        setError(errorMessage(reason));
        setLoading(false);
        // a start folder that cannot be listed (typed by hand, outside the roots): show the roots instead
        if (target !== undefined && listing === null) setTarget(undefined);
      },
    );
    return () => {
      alive = false;
    };
    // `listing` is read only to know whether anything was shown yet
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [api, target, showHidden]);

  const open = useCallback((path: string | undefined) => setTarget(path), []);
  return { listing, loading, error, showHidden, setShowHidden, open };
}
