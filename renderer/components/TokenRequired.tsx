import { KeyIcon, LogoIcon } from './Icons';

/** Shown by a browser that opened the headless server without (or with a stale) access token. */
export function TokenRequired({ reason }: { reason: 'missing_token' | 'unauthorized' }) {
  return (
    <main className="gate" data-testid="token-required">
      <div className="gate-card">
        <div className="gate-logo">
          <LogoIcon width={28} height={28} />
        </div>
        <h1>This page needs its access token</h1>
        <p>
          {reason === 'missing_token'
            ? 'Distillery’s headless server only answers pages that carry the token it printed when it started.'
            : 'The server refused the token this page had. It may have restarted: every start prints a new one.'}
        </p>
        <div className="gate-steps">
          <KeyIcon />
          <p>
            Open the full URL printed by <code>npm run serve</code> — the line that reads{' '}
            <code>Distillery listening on http://127.0.0.1:PORT/?token=…</code>
          </p>
        </div>
      </div>
    </main>
  );
}
