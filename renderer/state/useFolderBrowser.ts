import { useCallback, useEffect, useState } from 'react';
import type { BrowseResult } from '../../electron/contract/files';
import { useQuery } from './useQuery';

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
  const [target, setTarget] = useState<string | undefined>(start);
  const [showHidden, setShowHidden] = useState(false);
  const browse = useQuery('files.browse', { path: target, showHidden });

  // a start folder that cannot be listed (typed by hand, outside the roots): show the roots instead
  const unlistable = browse.error !== null && browse.data === null && target !== undefined;
  useEffect(() => {
    if (unlistable) setTarget(undefined);
  }, [unlistable]);

  const open = useCallback((path: string | undefined) => setTarget(path), []);
  return { listing: browse.data, loading: browse.loading, error: browse.error, showHidden, setShowHidden, open };
}
