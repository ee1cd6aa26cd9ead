import { describe, expect, it } from 'vitest';
import type { Job } from '../../electron/contract/api';
import { StartConvertInput } from '../../electron/contract/convert';
import { convertFormProblem, DEFAULT_CONVERT_FORM, DTYPE_OPTIONS, jobStates, newlySucceeded, toStartConvertInput, visibleConvertJobs } from './convertJob';

const job = (over: Partial<Job>): Job => ({
  id: 'a', kind: 'convert', state: 'running', title: 'Convert x to q4', progress: 0, pausable: false, resumable: false, createdAt: 1, updatedAt: 1, ...over,
});

describe('convert form', () => {
  it('says what is missing or wrong before anything is sent', () => {
    expect(convertFormProblem(DEFAULT_CONVERT_FORM)).toMatch(/Enter the folder of a Hugging Face checkpoint/);
    expect(convertFormProblem({ ...DEFAULT_CONVERT_FORM, hfDir: 'ckpt/qwen' })).toMatch(/absolute path.*“ckpt\/qwen”/);
    expect(convertFormProblem({ ...DEFAULT_CONVERT_FORM, hfDir: '/ckpt', outDir: 'out' })).toMatch(/output folder must be an absolute path/);
    expect(convertFormProblem({ ...DEFAULT_CONVERT_FORM, hfDir: ' /ckpt/qwen ' })).toBeNull();
  });

  it('sends int4 settings only for int4 dtypes and only when changed, and the contract accepts it', () => {
    const tuned = { ...DEFAULT_CONVERT_FORM, hfDir: ' /ckpt ', name: ' Mine ', blockSize: 32, asymmetric: false, accuracyLevel: 0, quantizeEmbeddings: true };
    const q4 = toStartConvertInput(tuned);
    expect(q4).toEqual({ hfDir: '/ckpt', dtype: 'q4', name: 'Mine', blockSize: 32, asymmetric: false, accuracyLevel: 0, quantizeEmbeddings: true });
    expect(StartConvertInput.safeParse(q4).success).toBe(true);
    expect(toStartConvertInput({ ...tuned, dtype: 'fp16', outDir: '/out' })).toEqual({ hfDir: '/ckpt', dtype: 'fp16', name: 'Mine', outDir: '/out' });
    expect(toStartConvertInput({ ...DEFAULT_CONVERT_FORM, hfDir: '/c' })).toEqual({ hfDir: '/c', dtype: 'q4' });
    // the portable graph is a choice for any dtype (WebGPU keeps its cache on the GPU)
    expect(toStartConvertInput({ ...DEFAULT_CONVERT_FORM, hfDir: '/c', dtype: 'fp16', portable: true })).toEqual({ hfDir: '/c', dtype: 'fp16', portable: true });
  });

  it('offers every dtype, q4 first and recommended on CPU, each with a one-line note', () => {
    expect(DTYPE_OPTIONS.map((o) => o.value)).toEqual(['q4', 'q4f16', 'fp16', 'fp32']);
    expect(DTYPE_OPTIONS[0].label).toMatch(/recommended on CPU/);
    expect(DTYPE_OPTIONS.find((o) => o.value === 'fp16')!.label).toMatch(/GPU/);
    for (const option of DTYPE_OPTIONS) expect(option.note).not.toContain('\n');
  });
});

describe('convert jobs on the card', () => {
  it('shows running conversions and finished ones started here, not other kinds or old results', () => {
    const jobs = [
      job({ id: 'run' }),
      job({ id: 'old', state: 'failed' }),
      job({ id: 'mine', state: 'succeeded' }),
      job({ id: 'diagnostics', kind: 'diagnostics' }),
    ];
    expect(visibleConvertJobs(jobs, new Set(['mine'])).map((j) => j.id)).toEqual(['run', 'mine']);
  });

  it('reports a success once, when it happens, not old successes from the list', () => {
    const before = jobStates([job({ id: 'a' }), job({ id: 'old', state: 'succeeded' })]);
    const after = [job({ id: 'a', state: 'succeeded' }), job({ id: 'old', state: 'succeeded' }), job({ id: 'other', state: 'succeeded' })];
    expect(newlySucceeded(before, after, new Set())).toEqual(['a']);
    expect(newlySucceeded(jobStates(after), after, new Set(['a']))).toEqual([]);
    // A quick job of ours first seen already finished still counts.
    expect(newlySucceeded(new Map(), [job({ id: 'fast', state: 'succeeded' })], new Set(['fast']))).toEqual(['fast']);
    expect(newlySucceeded(before, [job({ id: 'a', state: 'failed' })], new Set(['a']))).toEqual([]);
  });
});
