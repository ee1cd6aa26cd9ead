import { useState } from 'react';
import type { Job } from '../../../electron/contract/api';
import { DEFAULT_VOTE_SAMPLES, type Vote, type VoteSample } from '../../../electron/contract/chat';
import type { GenerationSettings } from '../../../electron/contract/inference';
import { formatDuration, formatPercent } from '../../state/format';
import { useVotes } from '../../state/useVotes';
import { Button } from '../Button';
import { ProgressBar } from '../ProgressBar';
import { Markdown } from './Markdown';

function Histogram({ vote }: { vote: Vote }) {
  const rows = [...vote.buckets.map((b) => ({ label: b.answer, count: b.count, majority: b.answer === vote.majority?.answer }))];
  if (vote.unanswered.length > 0) rows.push({ label: 'no boxed answer', count: vote.unanswered.length, majority: false });
  return (
    <ul className="vote-histogram" data-testid="vote-histogram" aria-label="Answers">
      {rows.map((row) => (
        <li key={row.label} className={row.majority ? 'vote-bar vote-bar-majority' : 'vote-bar'} data-testid="vote-bar">
          <span className="vote-bar-label selectable">{row.label}</span>
          <span className="vote-bar-track">
            <span className="vote-bar-fill" style={{ width: `${(row.count / vote.samples) * 100}%` }} />
          </span>
          <span className="vote-bar-count">{row.count}</span>
        </li>
      ))}
    </ul>
  );
}

function SampleTrace({ sample }: { sample: VoteSample }) {
  return (
    <details className="vote-sample" data-testid="vote-sample">
      <summary>
        Sample {sample.index + 1} · seed {sample.seed} · {sample.normalized !== undefined ? `answer ${sample.normalized}` : 'no boxed answer'}
        {sample.status !== 'complete' ? ` · ${sample.status}` : ''}
      </summary>
      {sample.reasoning && (
        <div className="vote-sample-thinking selectable">
          <Markdown text={sample.reasoning} />
        </div>
      )}
      <div className="vote-sample-answer selectable">
        <Markdown text={sample.content || '*(no answer)*'} />
      </div>
    </details>
  );
}

interface JobButtons {
  cancel(jobId: string): void;
  pause(jobId: string): void;
  resume(jobId: string): void;
}

function VoteResult({ vote, job, controls }: { vote: Vote; job?: Job; controls: JobButtons }) {
  const running = job ? job.state === 'running' || job.state === 'queued' : vote.done.length < vote.samples;
  const stoppedEarly = job && !running && job.state !== 'succeeded';
  const jobId = vote.jobId;
  return (
    <section className="vote-result" data-testid="vote-result" aria-label="Majority vote">
      <div className="vote-head">
        <strong>
          Vote · {vote.done.length}/{vote.samples} samples
        </strong>
        {vote.majority && (
          <span className="vote-majority" data-testid="vote-majority">
            Majority <span className="selectable">{vote.majority.answer}</span> · {vote.majority.count}/{vote.samples} ({formatPercent(vote.majority.share)})
          </span>
        )}
        {jobId && job?.pausable && (
          <Button variant="ghost" onClick={() => controls.pause(jobId)}>
            Pause
          </Button>
        )}
        {jobId && job?.resumable && (
          <Button variant="ghost" onClick={() => controls.resume(jobId)}>
            Resume
          </Button>
        )}
        {jobId && (job?.state === 'running' || job?.resumable) && (
          <Button variant="ghost" onClick={() => controls.cancel(jobId)}>
            Cancel
          </Button>
        )}
      </div>
      {running && (
        <div className="vote-progress">
          <ProgressBar value={job?.progress ?? vote.done.length / vote.samples} label="Vote progress" />
          <span className="field-hint">
            {job?.message ?? 'Sampling…'}
            {job?.etaSeconds !== undefined ? ` · about ${formatDuration(job.etaSeconds)} left` : ''}
          </span>
        </div>
      )}
      {stoppedEarly && <div className="field-hint">{job.message ?? `The vote ${job.state}.`}</div>}
      {vote.done.length > 0 && <Histogram vote={vote} />}
      {vote.done.length > 0 && (
        <div className="vote-samples">
          {vote.done.map((sample) => (
            <SampleTrace key={sample.index} sample={sample} />
          ))}
        </div>
      )}
    </section>
  );
}

/**
 * Majority vote (cons@N) on a reply: N more samples of the answer to its question, each with its own seed, as one
 * job; the histogram of normalised boxed answers and the majority. Every sample's trace opens below.
 */
export function VotePanel({
  messageId,
  settings,
  modelId,
  disabled,
}: {
  messageId: string;
  settings: () => GenerationSettings | undefined;
  modelId?: string;
  disabled: boolean;
}) {
  const [samples, setSamples] = useState(String(DEFAULT_VOTE_SAMPLES));
  const { votes, jobs, error, start, cancel, pause, resume } = useVotes(messageId, true);
  const latest = votes.at(-1);
  const count = Number(samples);
  const valid = Number.isInteger(count) && count >= 2 && count <= 64;
  return (
    <div className="vote-panel">
      <form
        className="vote-start"
        onSubmit={(event) => {
          event.preventDefault();
          if (valid) void start(count, settings(), modelId);
        }}
      >
        <Button variant="ghost" type="submit" disabled={disabled || !valid} title="Sample the answer N times with different seeds and take the majority">
          Vote
        </Button>
        <label className="vote-count">
          <span className="sr-only">Samples</span>
          ×
          <input className="input" aria-label="Samples" inputMode="numeric" value={samples} onChange={(e) => setSamples(e.target.value)} size={2} />
        </label>
      </form>
      {error && <div className="inline-error">{error}</div>}
      {latest && <VoteResult
          vote={latest}
          job={latest.jobId ? jobs[latest.jobId] : undefined}
          controls={{ cancel: (id) => void cancel(id), pause: (id) => void pause(id), resume: (id) => void resume(id) }}
        />}
    </div>
  );
}
