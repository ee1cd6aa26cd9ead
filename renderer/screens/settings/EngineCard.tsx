import type { EngineInfo } from '../../../electron/contract/api';
import { FixText } from '../../components/FixText';
import { Button } from '../../components/Button';
import { Card } from '../../components/Card';
import { RefreshIcon } from '../../components/Icons';
import { useEngine } from '../../state/EngineContext';
import { formatBytes } from '../../state/format';
import { useQuery } from '../../state/useQuery';

function InfoGrid({ info }: { info: EngineInfo }) {
  const rows: [string, string][] = [
    ['ONNX Runtime', info.ortVersion],
    ['CPU', `${info.cpuModel} · ${info.cpuCount} cores`],
    ['Memory', `${formatBytes(info.totalMemoryBytes)} total · ${formatBytes(info.freeMemoryBytes)} free`],
    ['Platform', `${info.platform} ${info.arch}`],
    ['Node.js', info.nodeVersion],
    ['Engine process', `pid ${info.pid}`],
  ];
  return (
    <dl className="info-grid" data-testid="engine-info">
      {rows.map(([label, value]) => (
        <div className="info-row" key={label}>
          <dt>{label}</dt>
          <dd>{value}</dd>
        </div>
      ))}
    </dl>
  );
}

function Providers({ info }: { info: EngineInfo }) {
  return (
    <ul className="provider-list" aria-label="Execution providers" data-testid="providers">
      {info.executionProviders.map((provider) => (
        <li className="provider" key={provider.name}>
          <div className="provider-head">
            <span className="provider-name">{provider.name}</span>
            <span className={`badge ${provider.available ? 'badge-ok' : 'badge-muted'}`}>
              {provider.available ? 'Available' : 'Unavailable'}
            </span>
          </div>
          {provider.detail && <FixText className="provider-detail" text={provider.detail} />}
        </li>
      ))}
    </ul>
  );
}

export function EngineCard() {
  const engine = useEngine();
  // A restarted engine is a new process: its pid is the key that re-reads the info.
  const info = useQuery('engine.info', {}, { key: engine.status?.state === 'ready' ? engine.status.pid : null });
  return (
    <Card
      title="Engine"
      description="The separate process that runs every model through ONNX Runtime."
      testId="engine-card"
      actions={
        <Button icon={<RefreshIcon />} onClick={() => void engine.restart()} disabled={engine.restarting}>
          {engine.restarting ? 'Restarting…' : 'Restart engine'}
        </Button>
      }
    >
      {info.error && <p className="inline-error">Could not read the engine info: {info.error}</p>}
      {!info.data && !info.error && <p className="muted">Asking the engine…</p>}
      {info.data && (
        <div className="engine-layout">
          <InfoGrid info={info.data} />
          <div>
            <h3 className="subheading">Execution providers</h3>
            <Providers info={info.data} />
          </div>
        </div>
      )}
    </Card>
  );
}
