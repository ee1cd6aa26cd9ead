import { useCallback, useRef, useState } from 'react';
import { isAbsolutePath } from '../../electron/contract/convert';
import { errorMessage } from '../api';
import { formatBytes } from '../state/format';
import { useFolderBrowser } from '../state/useFolderBrowser';
import { Button } from './Button';
import { useDismiss } from './chat/hooks';
import './path-picker.css';

type Kind = 'folder' | 'file';

function BrowserDialog({ kind, title, start, onPick, onClose }: { kind: Kind; title: string; start?: string; onPick(path: string): void; onClose(): void }) {
  const browser = useFolderBrowser(start);
  const panel = useRef<HTMLDivElement>(null);
  useDismiss(panel, true, onClose);
  const { listing } = browser;
  return (
    <div className="path-browser-backdrop">
      <div className="path-browser" role="dialog" aria-label={title} ref={panel}>
        <div className="path-browser-head">
          <strong>{title}</strong>
          <span className="path-browser-where selectable" data-testid="browser-path">
            {listing?.path ?? 'Home and Distillery data'}
          </span>
        </div>
        <div className="path-browser-nav" role="group" aria-label="Places">
          {listing?.roots.map((root) => (
            <Button key={root.path} variant="ghost" onClick={() => browser.open(root.path)}>
              {root.label}
            </Button>
          ))}
          <Button variant="ghost" disabled={!listing?.parent} onClick={() => browser.open(listing?.parent)}>
            ↑ Up
          </Button>
          <label className="path-browser-hidden">
            <input type="checkbox" checked={browser.showHidden} onChange={(e) => browser.setShowHidden(e.target.checked)} />
            Hidden files
          </label>
        </div>
        {browser.error && <div className="inline-error">{browser.error}</div>}
        <ul className="path-browser-list" aria-label="Folder contents" aria-busy={browser.loading}>
          {listing?.entries.map((entry) => (
            <li key={entry.path}>
              <button
                type="button"
                className={`path-browser-entry path-browser-${entry.kind}`}
                disabled={entry.kind === 'file' && kind === 'folder'}
                onClick={() => (entry.kind === 'folder' ? browser.open(entry.path) : onPick(entry.path))}
              >
                <span aria-hidden="true">{entry.kind === 'folder' ? '📁' : '📄'}</span>
                <span className="path-browser-name">{entry.name}</span>
                {entry.sizeBytes !== undefined && <span className="path-browser-size">{formatBytes(entry.sizeBytes)}</span>}
              </button>
            </li>
          ))}
          {listing && listing.entries.length === 0 && <li className="muted">Empty folder</li>}
          {listing?.truncated && <li className="muted">More entries than shown: type the path instead.</li>}
        </ul>
        <div className="card-actions">
          <Button variant="ghost" onClick={onClose}>
            Cancel
          </Button>
          {kind === 'folder' && (
            <Button variant="primary" disabled={!listing?.path} onClick={() => listing?.path && onPick(listing.path)}>
              Choose this folder
            </Button>
          )}
        </div>
      </div>
    </div>
  );
}

/**
 * "Browse…" next to a path field: the native dialog in the desktop app, a folder browser on the server's disk in
 * headless mode (only the user's home and the data folder).
 */
export function PathPicker({ kind, title, current, onPick }: { kind: Kind; title: string; current?: string; onPick(path: string): void }) {
  const [open, setOpen] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const native = typeof window !== 'undefined' ? window.distillery?.pickPath : undefined;
  const start = current && isAbsolutePath(current.trim()) ? current.trim() : undefined;
  const browse = useCallback(async () => {
    setError(null);
    if (!native) {
      setOpen(true);
      return;
    }
    try {
      const { path } = await native({ kind, title, defaultPath: start });
      if (path) onPick(path);
    } catch (reason) {
      setError(errorMessage(reason));
    }
  }, [native, kind, title, start, onPick]);
  return (
    <>
      <Button variant="secondary" onClick={() => void browse()} aria-label={`Browse for ${title.toLowerCase()}`}>
        Browse…
      </Button>
      {error && <span className="inline-error">{error}</span>}
      {open && (
        <BrowserDialog
          kind={kind}
          title={title}
          start={start}
          onClose={() => setOpen(false)}
          onPick={(path) => {
            setOpen(false);
            onPick(path);
          }}
        />
      )}
    </>
  );
}
