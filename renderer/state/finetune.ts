/**
 * The Fine-tune screen's logic, free of React: the run form (presets, every field editable, parsed into the API's
 * input with field-named errors), the token-length histogram with the max length marked, chart series, what a run's
 * buttons may do, and the Compare link for base vs fine-tuned.
 */
import {
  GenerationCaps, LORA_TARGETS, PRESETS, type BasePrecision, type DataReport, type PresetName, type RunDetail, type RunInput,
  type RunState, type TrainHyper,
} from '../../electron/contract/finetune';

export interface RunForm {
  modelId: string;
  folder: string;
  map: string; // question=prompt,reasoning=reason,answer=gen_ans
  preset: PresetName | 'custom';
  rank: string;
  alpha: string;
  targets: string[];
  lr: string;
  epochs: string;
  maxLength: string;
  batch: string;
  accumulation: string;
  precision: BasePrecision;
  valFraction: string;
  seed: string;
  evalQuestions: string;
  maxNewTokens: string;
  sampleEvery: string;
}

const CAPS = GenerationCaps.parse({});

export function presetFields(name: PresetName): Pick<RunForm, 'rank' | 'alpha' | 'targets' | 'lr' | 'epochs' | 'maxLength' | 'batch' | 'accumulation' | 'precision'> {
  const p: TrainHyper = PRESETS[name];
  return {
    rank: String(p.rank), alpha: String(p.alpha), targets: [...p.targets], lr: String(p.lr), epochs: String(p.epochs),
    maxLength: String(p.maxLength), batch: String(p.batch), accumulation: String(p.accumulation), precision: p.precision,
  };
}

export const DEFAULT_RUN_FORM: RunForm = {
  modelId: '', folder: '', map: '', preset: 'quick', ...presetFields('quick'), valFraction: '0.1', seed: '0',
  evalQuestions: String(CAPS.evalQuestions), maxNewTokens: String(CAPS.maxNewTokens), sampleEvery: String(CAPS.sampleEvery),
};

/** Editing a preset's field makes the form 'custom'; choosing a preset fills its fields. */
export function updateForm(form: RunForm, patch: Partial<RunForm>): RunForm {
  if (patch.preset && patch.preset !== 'custom') return { ...form, ...patch, ...presetFields(patch.preset) };
  const hyperKeys: (keyof RunForm)[] = ['rank', 'alpha', 'targets', 'lr', 'epochs', 'maxLength', 'batch', 'accumulation', 'precision'];
  const touchesHyper = Object.keys(patch).some((k) => hyperKeys.includes(k as keyof RunForm));
  return { ...form, ...patch, ...(touchesHyper ? { preset: 'custom' as const } : {}) };
}

export function parseFieldMap(text: string): Record<string, string> | string | undefined {
  if (!text.trim()) return undefined;
  const map: Record<string, string> = {};
  for (const part of text.split(',').map((p) => p.trim()).filter(Boolean)) {
    const [key, value] = part.split('=').map((s) => s.trim());
    if (!['question', 'reasoning', 'answer'].includes(key) || !value) return `Field mapping “${part}”: write question=…, reasoning=… or answer=…`;
    map[key] = value;
  }
  return map;
}

type Parsed = { ok: true; input: RunInput } | { ok: false; errors: Partial<Record<keyof RunForm, string>> };

function numberField(errors: Partial<Record<keyof RunForm, string>>, key: keyof RunForm, raw: string, check: (n: number) => boolean, rule: string): number {
  const n = Number(raw);
  if (!raw.trim() || !Number.isFinite(n) || !check(n)) errors[key] = rule;
  return n;
}

export function parseRunForm(form: RunForm): Parsed {
  const errors: Partial<Record<keyof RunForm, string>> = {};
  const int = (lo: number, hi: number) => (n: number) => Number.isInteger(n) && n >= lo && n <= hi;
  if (!form.modelId) errors.modelId = 'Pick a base model';
  if (!form.folder.trim()) errors.folder = 'Give the folder that holds your traces';
  const map = parseFieldMap(form.map);
  if (typeof map === 'string') errors.map = map;
  if (!form.targets.length) errors.targets = 'Pick at least one module';
  const hyper: TrainHyper = {
    rank: numberField(errors, 'rank', form.rank, int(1, 512), 'a whole number from 1 to 512'),
    alpha: numberField(errors, 'alpha', form.alpha, (n) => n > 0 && n <= 4096, 'a number above 0'),
    targets: form.targets.filter((t): t is TrainHyper['targets'][number] => (LORA_TARGETS as readonly string[]).includes(t)),
    lr: numberField(errors, 'lr', form.lr, (n) => n > 0 && n < 1, 'a number between 0 and 1, e.g. 2e-4'),
    epochs: numberField(errors, 'epochs', form.epochs, int(1, 100), 'a whole number from 1 to 100'),
    maxLength: numberField(errors, 'maxLength', form.maxLength, int(16, 131_072), 'a whole number from 16 to 131072'),
    batch: numberField(errors, 'batch', form.batch, int(1, 256), 'a whole number from 1 to 256'),
    accumulation: numberField(errors, 'accumulation', form.accumulation, int(1, 1024), 'a whole number from 1 to 1024'),
    precision: form.precision,
  };
  const valFraction = numberField(errors, 'valFraction', form.valFraction, (n) => n >= 0 && n <= 0.5, 'a share from 0 to 0.5');
  const seed = numberField(errors, 'seed', form.seed, int(0, 2 ** 31), 'a whole number ≥ 0');
  const caps = {
    evalQuestions: numberField(errors, 'evalQuestions', form.evalQuestions, int(0, 500), 'a whole number from 0 to 500'),
    maxNewTokens: numberField(errors, 'maxNewTokens', form.maxNewTokens, int(1, 32_768), 'a whole number from 1 to 32768'),
    sampleEvery: numberField(errors, 'sampleEvery', form.sampleEvery, int(0, 100_000), 'a whole number ≥ 0 (0 = no samples)'),
  };
  if (Object.keys(errors).length) return { ok: false, errors };
  const input: RunInput = { modelId: form.modelId, dataFolder: form.folder.trim(), hyper, valFraction, seed, caps };
  if (map && typeof map !== 'string') input.map = map;
  return { ok: true, input };
}

export interface HistogramBar {
  from: number;
  upTo: number;
  count: number;
  /** Records in this bin are longer than the max length: training cuts them. */
  over: boolean;
  /** Share of the tallest bar, for the bar height. */
  height: number;
}

export function histogramBars(report: Pick<DataReport, 'tokens' | 'maxLength'>): HistogramBar[] {
  const bins = report.tokens.histogram;
  const tallest = Math.max(1, ...bins.map((b) => b.count));
  return bins.map((bin, i) => {
    const from = i === 0 ? 0 : bins[i - 1].upTo;
    return { from, upTo: bin.upTo, count: bin.count, over: report.tokens.unit === 'tokens' && from >= report.maxLength, height: bin.count / tallest };
  });
}

/** uPlot's aligned data: steps, training loss, validation loss (null where a step had no validation). */
export function lossSeries(detail: Pick<RunDetail, 'metrics' | 'validation'>): [number[], (number | null)[], (number | null)[]] {
  const validation = new Map(detail.validation.map((v) => [v.step, v.loss]));
  const steps = [...new Set([...detail.metrics.map((m) => m.step), ...validation.keys()])].sort((a, b) => a - b);
  const loss = new Map(detail.metrics.map((m) => [m.step, m.loss]));
  return [steps, steps.map((s) => loss.get(s) ?? null), steps.map((s) => validation.get(s) ?? null)];
}

export function lrSeries(detail: Pick<RunDetail, 'metrics'>): [number[], number[]] {
  return [detail.metrics.map((m) => m.step), detail.metrics.map((m) => m.lr)];
}

export interface RunProgressView {
  fraction: number;
  tokensPerSecond?: number;
  etaSeconds?: number;
}

/** Progress, the latest throughput, and time left at the pace of the recent steps. */
export function runProgress(detail: Pick<RunDetail, 'metrics' | 'step' | 'totalSteps'>): RunProgressView {
  const fraction = detail.totalSteps ? Math.min(1, detail.step / detail.totalSteps) : 0;
  const recent = detail.metrics.slice(-10);
  const view: RunProgressView = { fraction };
  const last = detail.metrics.at(-1);
  if (last?.tokensPerSecond !== undefined) view.tokensPerSecond = last.tokensPerSecond;
  if (recent.length >= 2) {
    const perStep = (recent.at(-1)!.at - recent[0].at) / 1000 / (recent.at(-1)!.step - recent[0].step);
    if (perStep > 0) view.etaSeconds = perStep * (detail.totalSteps - detail.step);
  }
  return view;
}

export function runActions(state: RunState): { pause: boolean; cancel: boolean; resume: boolean } {
  return { pause: state === 'running', cancel: state === 'running' || state === 'paused', resume: ['paused', 'interrupted', 'cancelled', 'failed'].includes(state) };
}

export const RUN_STATE_LABELS: Record<RunState, string> = {
  running: 'Training', paused: 'Paused', interrupted: 'Interrupted', cancelled: 'Cancelled', failed: 'Failed', completed: 'Completed',
};

/** Compare with the base on the left and the fine-tuned model on the right, the validation question ready to send. */
export function compareHash(baseId: string, fineTunedId: string, question?: string): string {
  const params = new URLSearchParams({ a: baseId, b: fineTunedId });
  if (question) params.set('prompt', question);
  return `#/compare?${params.toString()}`;
}

export function formatLoss(value: number | undefined): string {
  return value === undefined ? '—' : value.toFixed(4);
}

/** The models and prompt a Compare link carries (see compareHash); empty for a plain #/compare. */
export function compareLinkFromHash(hash: string): { a?: string; b?: string; prompt?: string } {
  const query = hash.split('?')[1];
  if (!query) return {};
  const params = new URLSearchParams(query);
  const link: { a?: string; b?: string; prompt?: string } = {};
  for (const key of ['a', 'b', 'prompt'] as const) {
    const value = params.get(key);
    if (value) link[key] = value;
  }
  return link;
}
