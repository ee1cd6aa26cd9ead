import { useState } from 'react';
import { Button } from '../../components/Button';
import { useQuery } from '../../state/useQuery';

/** The end of the log file, read when asked for (engine crashes are written there with their cause). */
function LogTail() {
  const log = useQuery('app.log');
  if (log.error) return <p className="inline-error">Could not read the log: {log.error}</p>;
  if (!log.data) return <p className="muted">Reading the log…</p>;
  return (
    <>
      {log.data.truncated && <p className="muted">The last lines of {log.data.file}:</p>}
      <pre className="log-tail mono selectable" data-testid="log-tail">
        {log.data.text || 'The log is empty.'}
      </pre>
      <Button onClick={log.refresh}>Reload</Button>
    </>
  );
}

export function LogView({ file }: { file: string }) {
  const [open, setOpen] = useState(false);
  return (
    <div className="info-row">
      <dt>Log file</dt>
      <dd>
        <span className="mono selectable">{file}</span>{' '}
        <Button onClick={() => setOpen(!open)} aria-expanded={open}>
          {open ? 'Hide the log' : 'Show the log'}
        </Button>
        {open && <LogTail />}
      </dd>
    </div>
  );
}
