import { ScreenHeader } from '../../components/ScreenHeader';
import { useFinetuneScreen } from '../../state/useFinetuneScreen';
import { DataReportView } from './DataReportView';
import { FinishPanel } from './FinishPanel';
import { HyperForm } from './HyperForm';
import { RunHistory } from './RunHistory';
import { RunPanel } from './RunPanel';
import { SetupCard } from './SetupCard';
import './finetune.css';

/** From a folder of R1 traces to a LoRA run watched live, evaluated, merged and compared with its base. */
export function FinetuneScreen() {
  const s = useFinetuneScreen();
  const detail = s.run.detail;
  return (
    <div className="screen ft-screen">
      <ScreenHeader title="Fine-tune" subtitle="Teach a distill with LoRA on a folder of R1 reasoning traces." />
      <div className="ft-layout">
        <div className="stack">
          <SetupCard
            form={s.form}
            models={s.base.models}
            modelsError={s.base.error}
            update={s.update}
            onCheck={s.check}
            checking={s.report.busy}
            mapError={s.mapError}
          />
          {s.report.error && <p className="inline-error" role="alert">{s.report.error}</p>}
          {s.report.data && <DataReportView report={s.report.data} />}
          <HyperForm
            form={s.form}
            errors={s.errors}
            update={s.update}
            estimate={s.estimate.data}
            estimating={s.estimate.busy}
            estimateError={s.estimate.error}
            onEstimate={s.runEstimate}
            onStart={() => void s.start()}
            starting={s.starter.busy}
            startError={s.starter.error}
          />
        </div>
        <div className="stack">
          {detail && (
            <RunPanel detail={detail} acting={s.run.acting} error={s.run.error} onPause={() => void s.run.pause()} onCancel={() => void s.run.cancel()} onResume={() => void s.run.resume()}>
              {detail.state === 'completed' && <FinishPanel detail={detail} mergeJob={s.mergeJob} onMerge={(d) => void s.merge(d)} onCompare={s.openCompare} />}
            </RunPanel>
          )}
          <RunHistory runs={s.history.runs} selected={s.runId} onSelect={s.select} />
        </div>
      </div>
    </div>
  );
}
