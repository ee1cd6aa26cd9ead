import { Card } from '../../components/Card';
import { useQuery } from '../../state/useQuery';
import { LogView } from './LogView';

export function StorageCard() {
  const app = useQuery('app.info');
  return (
    <Card title="About" description="Where Distillery keeps its data on this machine.">
      {app.error && <p className="inline-error">{app.error}</p>}
      {app.data && (
        <dl className="info-grid" data-testid="app-info">
          <div className="info-row">
            <dt>Data folder</dt>
            <dd className="mono selectable">{app.data.dataDir}</dd>
          </div>
          <LogView file={app.data.logFile} />
          <div className="info-row">
            <dt>Version</dt>
            <dd>{app.data.version}</dd>
          </div>
          <div className="info-row">
            <dt>Mode</dt>
            <dd>{app.data.transport === 'ipc' ? 'Desktop app' : 'Headless server (browser)'}</dd>
          </div>
        </dl>
      )}
    </Card>
  );
}
