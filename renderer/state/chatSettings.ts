/**
 * Generation settings of the Chat and Compare screens: R1's recommended defaults, the form's text fields turned into
 * the contract's GenerationSettings (with errors a user can act on), and kept in localStorage between sessions.
 */
import type { GenerationSettings } from '../../electron/contract/inference';

/** DeepSeek's recommendation for the R1 distills: temperature 0.5–0.7 (0.6), top-p 0.95. */
export const R1_DEFAULTS = { temperature: 0.6, topP: 0.95 } as const;
export const MAX_NEW_TOKENS_LIMIT = 32_768;
const STORAGE_KEY = 'distillery.chat.settings';

/** The form: text as typed, so a half-typed number is never lost. Empty means "the default". */
export interface SettingsForm {
  temperature: string;
  topP: string;
  maxNewTokens: string;
  seed: string;
  thinkingBudget: string;
}

export const DEFAULT_FORM: SettingsForm = {
  temperature: String(R1_DEFAULTS.temperature),
  topP: String(R1_DEFAULTS.topP),
  maxNewTokens: '',
  seed: '',
  thinkingBudget: '',
};

export type ParsedSettings = { ok: true; settings: GenerationSettings } | { ok: false; errors: Partial<Record<keyof SettingsForm, string>> };

function parseNumber(text: string, { min, max, integer }: { min: number; max: number; integer: boolean }): number | string | undefined {
  const trimmed = text.trim();
  if (trimmed === '') return undefined;
  const value = Number(trimmed);
  if (!Number.isFinite(value)) return 'Enter a number.';
  if (integer && !Number.isInteger(value)) return 'Enter a whole number.';
  if (value < min || value > max) return `Between ${min} and ${max}.`;
  return value;
}

export function parseSettings(form: SettingsForm): ParsedSettings {
  const settings: GenerationSettings = {};
  const errors: Partial<Record<keyof SettingsForm, string>> = {};
  const fields: [keyof SettingsForm, { min: number; max: number; integer: boolean }][] = [
    ['temperature', { min: 0, max: 2, integer: false }],
    ['topP', { min: 0.01, max: 1, integer: false }],
    ['maxNewTokens', { min: 1, max: MAX_NEW_TOKENS_LIMIT, integer: true }],
    ['seed', { min: 0, max: 4_294_967_295, integer: true }],
    ['thinkingBudget', { min: 0, max: MAX_NEW_TOKENS_LIMIT, integer: true }],
  ];
  for (const [key, range] of fields) {
    const parsed = parseNumber(form[key], range);
    if (typeof parsed === 'string') errors[key] = parsed;
    else if (parsed !== undefined) settings[key] = parsed;
  }
  return Object.keys(errors).length > 0 ? { ok: false, errors } : { ok: true, settings };
}

/** Short summary for the settings button: "T 0.6 · top-p 0.95 · budget 512". */
export function describeSettings(form: SettingsForm): string {
  const parsed = parseSettings(form);
  if (!parsed.ok) return 'Check settings';
  const s = parsed.settings;
  const parts = [`T ${s.temperature ?? R1_DEFAULTS.temperature}`, `top-p ${s.topP ?? R1_DEFAULTS.topP}`];
  if (s.maxNewTokens !== undefined) parts.push(`max ${s.maxNewTokens}`);
  if (s.thinkingBudget !== undefined) parts.push(`budget ${s.thinkingBudget}`);
  if (s.seed !== undefined) parts.push(`seed ${s.seed}`);
  return parts.join(' · ');
}

export function loadSettingsForm(storage: Pick<Storage, 'getItem'> | undefined = globalThis.localStorage): SettingsForm {
  try {
    const raw = storage?.getItem(STORAGE_KEY);
    if (!raw) return { ...DEFAULT_FORM };
    const stored = JSON.parse(raw) as Partial<Record<keyof SettingsForm, unknown>>;
    const form = { ...DEFAULT_FORM };
    for (const key of Object.keys(DEFAULT_FORM) as (keyof SettingsForm)[]) {
      if (typeof stored[key] === 'string') form[key] = stored[key];
    }
    return form;
  } catch {
    return { ...DEFAULT_FORM }; // unreadable storage: the defaults, never a crash
  }
}

export function saveSettingsForm(form: SettingsForm, storage: Pick<Storage, 'setItem'> | undefined = globalThis.localStorage): void {
  try {
    storage?.setItem(STORAGE_KEY, JSON.stringify(form));
  } catch {
    // Storage full or disabled: the settings still apply for this session.
  }
}
