import { Button } from '../../components/Button';
import { Card } from '../../components/Card';
import { PlayIcon } from '../../components/Icons';
import { JobRow } from '../../components/JobRow';
import { isActive } from '../../state/jobs';
import { useJobs } from '../../state/useJobs';
import { useNow } from '../../state/useNow';

/** 100 steps of 100 ms: long enough to watch and cancel, short enough not to bore. */
const TEST_JOB = { steps: 100, stepMs: 100 };


export function DiagnosticsCard() {
  const { jobs, error, startDiagnostics, actions } = useJobs();
  const now = useNow(jobs.some(isActive));
  return (
    <Card
      title="Diagnostics"
      description="Run a test job in the engine to check progress reporting, pause, resume and cancellation end to end."
      testId="diagnostics"
      actions={
        <Button variant="primary" icon={<PlayIcon />} onClick={() => void startDiagnostics(TEST_JOB.steps, TEST_JOB.stepMs)}>
          Run test job
        </Button>
      }
    >
      {error && <p className="inline-error">{error}</p>}
      {jobs.length === 0 ? (
        <p className="muted">No jobs yet. Conversions, training runs and test jobs appear here.</p>
      ) : (
        <ul className="job-list" aria-label="Jobs">
          {jobs.map((job) => (
            <JobRow key={job.id} job={job} now={now} actions={actions} />
          ))}
        </ul>
      )}
    </Card>
  );
}
