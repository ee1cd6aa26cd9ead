/**
 * The Fine-tune screen's controller: the run form, the report / estimate / start calls made from it, the open run,
 * its merge job, and the keyboard shortcuts (Ctrl/Cmd+Enter starts, Ctrl/Cmd+Shift+P pauses or resumes).
 */
import { useCallback, useEffect, useState } from 'react';
import { compareHash, DEFAULT_RUN_FORM, parseFieldMap, parseRunForm, runActions, updateForm, type RunForm } from './finetune';
import { useBaseModels, useDataReport, useEstimate, useJob, useRun, useRuns, useStartRun } from './useFinetune';

export function useFinetuneScreen() {
  const base = useBaseModels();
  const report = useDataReport();
  const estimate = useEstimate();
  const starter = useStartRun();
  const history = useRuns();
  const [form, setForm] = useState<RunForm>(DEFAULT_RUN_FORM);
  const [errors, setErrors] = useState<Partial<Record<keyof RunForm, string>>>({});
  const [runId, setRunId] = useState<string | null>(null);
  const [mergeJobId, setMergeJobId] = useState<string | null>(null);
  const run = useRun(runId);
  const mergeJob = useJob(mergeJobId);

  useEffect(() => {
    if (!form.modelId) {
      const first = base.models.find((m) => m.usable);
      if (first) setForm((f) => ({ ...f, modelId: first.modelId }));
    }
  }, [base.models, form.modelId]);

  // Coming back to the screen (or the app) reopens the latest run, so a run that stopped with the app is one click
  // from Resume.
  useEffect(() => {
    if (!runId && history.runs.length) setRunId(history.runs[0].id);
  }, [runId, history.runs]);

  const { reload } = run;
  useEffect(() => {
    if (mergeJob?.state === 'succeeded') reload();
  }, [mergeJob?.state, reload]);

  const update = useCallback((patch: Partial<RunForm>) => {
    setForm((f) => updateForm(f, patch));
    estimate.clear();
  }, [estimate]);

  const map = parseFieldMap(form.map);
  const check = useCallback(() => {
    if (!form.folder.trim() || typeof map === 'string') return;
    const maxLength = Number(form.maxLength) || 2048;
    void report.check({
      folder: form.folder.trim(), modelId: form.modelId || undefined, maxLength, valFraction: Number(form.valFraction) || 0,
      seed: Number(form.seed) || 0, ...(map ? { map } : {}),
    });
  }, [form, map, report]);

  const parsed = () => {
    const result = parseRunForm(form);
    setErrors(result.ok ? {} : result.errors);
    return result.ok ? result.input : null;
  };

  const runEstimate = () => {
    const input = parsed();
    if (input) void estimate.estimate(input);
  };

  const start = async () => {
    const input = parsed();
    if (!input || starter.busy) return;
    const started = await starter.start(input);
    if (started) {
      setRunId(started.id);
      setMergeJobId(null);
      history.refresh();
    }
  };

  const merge = async (dtype: 'q4' | 'fp16') => {
    const job = await run.merge(dtype);
    if (job) setMergeJobId(job.jobId);
  };

  const openCompare = () => {
    const d = run.detail;
    if (d?.mergedModelId) window.location.hash = compareHash(d.baseModelId, d.mergedModelId, d.compareQuestion);
  };

  const select = (id: string) => {
    setRunId(id);
    setMergeJobId(null);
  };

  useEffect(() => {
    const onKey = (event: KeyboardEvent) => {
      if (!(event.ctrlKey || event.metaKey)) return;
      if (event.key === 'Enter' && !event.shiftKey) {
        event.preventDefault();
        void start();
      } else if (event.shiftKey && event.key.toLowerCase() === 'p' && run.detail) {
        event.preventDefault();
        const actions = runActions(run.detail.state);
        if (actions.pause) void run.pause();
        else if (actions.resume) void run.resume();
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  });

  return {
    base, report, estimate, starter, history, form, errors, update, check, mapError: typeof map === 'string' ? map : undefined,
    runEstimate, start, run, runId, select, merge, mergeJob, openCompare,
  };
}
