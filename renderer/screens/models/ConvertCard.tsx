import { useState, type FormEvent } from 'react';
import { PathPicker } from '../../components/PathPicker';
import { isQuantized } from '../../../electron/contract/convert';
import { Button } from '../../components/Button';
import { Card } from '../../components/Card';
import { CloseIcon, PlayIcon } from '../../components/Icons';
import { JobRow } from '../../components/JobRow';
import { ACCURACY_LEVELS, BLOCK_SIZES, DEFAULT_CONVERT_FORM, DTYPE_OPTIONS, type ConvertForm } from '../../state/convertJob';
import { isActive } from '../../state/jobs';
import { useConvertJob } from '../../state/useConvertJob';
import { useNow } from '../../state/useNow';
import './convert.css';


function AdvancedSettings({ form, update }: { form: ConvertForm; update(patch: Partial<ConvertForm>): void }) {
  const quantized = isQuantized(form.dtype);
  return (
    <details className="convert-advanced">
      <summary>Advanced</summary>
      <div className="convert-grid">
        <label className="field">
          <span className="convert-label">Output folder</span>
          <input className="input" aria-label="Output folder" placeholder="Default: the app's models folder" value={form.outDir} onChange={(e) => update({ outDir: e.target.value })} spellCheck={false} />
          <PathPicker kind="folder" title="Output folder" current={form.outDir} onPick={(outDir) => update({ outDir })} />
        </label>
        <label className="field">
          <span className="convert-label">Block size</span>
          <select className="select" aria-label="Block size" value={form.blockSize} disabled={!quantized} onChange={(e) => update({ blockSize: Number(e.target.value) })}>
            {BLOCK_SIZES.map((size) => (
              <option key={size} value={size}>
                {size}
                {size === DEFAULT_CONVERT_FORM.blockSize ? ' (default)' : ''}
              </option>
            ))}
          </select>
        </label>
        <label className="field">
          <span className="convert-label">Accuracy level</span>
          <select className="select" aria-label="Accuracy level" value={form.accuracyLevel} disabled={!quantized} onChange={(e) => update({ accuracyLevel: Number(e.target.value) })}>
            {ACCURACY_LEVELS.map((level) => (
              <option key={level.value} value={level.value}>
                {level.label}
              </option>
            ))}
          </select>
        </label>
        <label className="convert-check">
          <input type="checkbox" checked={form.asymmetric} disabled={!quantized} onChange={(e) => update({ asymmetric: e.target.checked })} />
          Asymmetric (a zero point per block, the default: more accurate per bit; off = Q4_0's symmetric scheme)
        </label>
        <label className="convert-check">
          <input type="checkbox" checked={form.quantizeEmbeddings} disabled={!quantized} onChange={(e) => update({ quantizeEmbeddings: e.target.checked })} />
          Quantize the embeddings too (smaller; fp16 by default)
        </label>
        <label className="convert-check">
          <input type="checkbox" checked={form.portable} onChange={(e) => update({ portable: e.target.checked })} />
          Portable graph (for WebGPU: its KV cache stays on the GPU, about 10× faster there; slower on the CPU at long contexts; transformers.js loads it too)
        </label>
      </div>
      {!quantized && <p className="muted convert-note">Block size, accuracy level, asymmetric and embeddings apply to q4 and q4f16.</p>}
    </details>
  );
}

/** "Convert a checkpoint": a Hugging Face R1-Distill folder → a model in the list, as a job with progress and Cancel. */
export function ConvertCard({ onConverted }: { onConverted(): void }) {
  const convert = useConvertJob(onConverted);
  const [form, setForm] = useState<ConvertForm>(DEFAULT_CONVERT_FORM);
  const update = (patch: Partial<ConvertForm>) => setForm((current) => ({ ...current, ...patch }));
  const now = useNow(convert.jobs.some(isActive));
  const note = DTYPE_OPTIONS.find((option) => option.value === form.dtype)?.note;

  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (!convert.starting) void convert.start(form);
  };

  return (
    <Card
      title="Convert a checkpoint"
      testId="convert-card"
      description={
        <>
          An official <code>deepseek-ai/DeepSeek-R1-Distill-*</code> folder (<code>config.json</code>, tokenizer files,{' '}
          <code>*.safetensors</code>) becomes a model this app runs. Weights stream one at a time, so memory stays low.
        </>
      }
    >
      <form onSubmit={submit} className="convert-form">
        <div className="form-row">
          <input className="input" aria-label="Checkpoint folder" placeholder="/path/to/DeepSeek-R1-Distill-Qwen-1.5B" value={form.hfDir} onChange={(e) => update({ hfDir: e.target.value })} spellCheck={false} />
          <PathPicker kind="folder" title="Checkpoint folder" current={form.hfDir} onPick={(hfDir) => update({ hfDir })} />
          <input className="input input-name" aria-label="Converted model name" placeholder="Name (optional)" value={form.name} onChange={(e) => update({ name: e.target.value })} />
        </div>
        <div className="convert-dtype">
          <select className="select" aria-label="Precision" value={form.dtype} onChange={(e) => update({ dtype: e.target.value as ConvertForm['dtype'] })}>
            {DTYPE_OPTIONS.map((option) => (
              <option key={option.value} value={option.value}>
                {option.label}
              </option>
            ))}
          </select>
          <span className="muted convert-dtype-note" data-testid="dtype-note">
            {note}
          </span>
          <Button type="submit" variant="primary" icon={<PlayIcon />} disabled={!form.hfDir.trim() || convert.starting}>
            {convert.starting ? 'Starting…' : 'Convert'}
          </Button>
        </div>
        <AdvancedSettings form={form} update={update} />
        {convert.error && (
          <div className="inline-error" role="alert" data-testid="convert-error">
            {convert.error}
          </div>
        )}
      </form>
      {convert.jobs.length > 0 && (
        <ul className="job-list convert-jobs" aria-label="Conversions">
          {convert.jobs.map((job) => (
            <JobRow
              key={job.id}
              job={job}
              now={now}
              actions={convert.actions}
              testId="convert-job"
              extra={<Button variant="ghost" icon={<CloseIcon />} onClick={() => convert.dismiss(job.id)} aria-label={`Dismiss ${job.title}`} />}
            />
          ))}
        </ul>
      )}
    </Card>
  );
}
