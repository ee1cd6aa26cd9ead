import { describe, expect, it } from 'vitest';
import { PRESETS } from '../../electron/contract/finetune';
import {
  compareHash, compareLinkFromHash, DEFAULT_RUN_FORM, histogramBars, lossSeries, parseFieldMap, parseRunForm, runActions, runProgress, updateForm,
} from './finetune';

const form = { ...DEFAULT_RUN_FORM, modelId: 'm1', folder: '/data/traces' };

describe('fine-tune form', () => {
  it('fills a preset and turns custom when one of its fields is edited', () => {
    const standard = updateForm(form, { preset: 'standard' });
    expect(standard.rank).toBe(String(PRESETS.standard.rank));
    expect(standard.targets).toEqual(PRESETS.standard.targets);
    const edited = updateForm(standard, { rank: '4' });
    expect(edited.preset).toBe('custom');
    expect(updateForm(standard, { folder: '/x' }).preset).toBe('standard');
  });

  it('parses into the API input, or names every bad field', () => {
    const ok = parseRunForm({ ...form, map: 'question=prompt, answer=gen_ans' });
    expect(ok).toMatchObject({ ok: true, input: { modelId: 'm1', dataFolder: '/data/traces', hyper: { rank: 8, lr: 2e-4 }, map: { question: 'prompt', answer: 'gen_ans' } } });
    const bad = parseRunForm({ ...form, rank: '0', lr: 'fast', targets: [], map: 'prompt' });
    expect(bad.ok).toBe(false);
    if (!bad.ok) expect(Object.keys(bad.errors).sort()).toEqual(['lr', 'map', 'rank', 'targets']);
  });

  it('reads a field mapping and refuses unknown canonical fields', () => {
    expect(parseFieldMap('')).toBeUndefined();
    expect(parseFieldMap('reasoning=reason')).toEqual({ reasoning: 'reason' });
    expect(parseFieldMap('title=x')).toMatch(/question=/);
  });
});

describe('fine-tune views', () => {
  it('marks histogram bins past the max length (token counts only)', () => {
    const tokens = { unit: 'tokens', p50: 0, p95: 0, max: 400, overMaxLength: 1, histogram: [{ upTo: 100, count: 4 }, { upTo: 200, count: 2 }, { upTo: 300, count: 0 }, { upTo: 400, count: 1 }] };
    const bars = histogramBars({ tokens, maxLength: 200 });
    expect(bars.map((b) => b.over)).toEqual([false, false, true, true]);
    expect(bars[0].height).toBe(1);
    expect(histogramBars({ tokens: { ...tokens, unit: 'characters' }, maxLength: 200 }).some((b) => b.over)).toBe(false);
  });

  it('aligns training and validation loss by step for the chart', () => {
    const metrics = [1, 2, 3].map((step) => ({ step, loss: 3 - step * 0.5, lr: 1e-4, gradNorm: 1, tokens: 10, at: step * 1000 }));
    expect(lossSeries({ metrics, validation: [{ step: 2, loss: 2.5 }] })).toEqual([[1, 2, 3], [2.5, 2, 1.5], [null, 2.5, null]]);
  });

  it('extrapolates the time left from recent steps', () => {
    const metrics = [1, 2, 3].map((step) => ({ step, loss: 1, lr: 1e-4, gradNorm: 1, tokens: 10, tokensPerSecond: 50, at: step * 2000 }));
    expect(runProgress({ metrics, step: 3, totalSteps: 10 })).toEqual({ fraction: 0.3, tokensPerSecond: 50, etaSeconds: 14 });
  });

  it('offers pause only while training and resume after any stop but completion', () => {
    expect(runActions('running')).toEqual({ pause: true, cancel: true, resume: false });
    expect(runActions('cancelled').resume).toBe(true);
    expect(runActions('interrupted').resume).toBe(true);
    expect(runActions('completed')).toEqual({ pause: false, cancel: false, resume: false });
  });

  it('round-trips the Compare link with base, fine-tuned model and question', () => {
    const hash = compareHash('base-1', 'ft-2', 'What is 2 + 2? & more');
    expect(hash.startsWith('#/compare?')).toBe(true);
    expect(compareLinkFromHash(hash)).toEqual({ a: 'base-1', b: 'ft-2', prompt: 'What is 2 + 2? & more' });
    expect(compareLinkFromHash('#/compare')).toEqual({});
  });
});
