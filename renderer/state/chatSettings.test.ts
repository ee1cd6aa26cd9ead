import { describe, expect, it } from 'vitest';
import { DEFAULT_FORM, describeSettings, loadSettingsForm, parseSettings, saveSettingsForm } from './chatSettings';

describe('generation settings', () => {
  it('defaults to R1 sampling: temperature 0.6, top-p 0.95, the rest left to the engine', () => {
    expect(parseSettings(DEFAULT_FORM)).toEqual({ ok: true, settings: { temperature: 0.6, topP: 0.95 } });
    expect(describeSettings(DEFAULT_FORM)).toBe('T 0.6 · top-p 0.95');
  });

  it('parses every field and rejects bad values with a reason', () => {
    const ok = parseSettings({ temperature: '0', topP: '1', maxNewTokens: '32768', seed: '42', thinkingBudget: '0' });
    expect(ok).toEqual({ ok: true, settings: { temperature: 0, topP: 1, maxNewTokens: 32768, seed: 42, thinkingBudget: 0 } });
    const bad = parseSettings({ temperature: 'hot', topP: '0', maxNewTokens: '40000', seed: '1.5', thinkingBudget: '-1' });
    expect(bad.ok).toBe(false);
    if (!bad.ok) expect(Object.keys(bad.errors).sort()).toEqual(['maxNewTokens', 'seed', 'temperature', 'thinkingBudget', 'topP']);
  });

  it('round-trips through storage and survives garbage in it', () => {
    const store = new Map<string, string>();
    const storage = { getItem: (k: string) => store.get(k) ?? null, setItem: (k: string, v: string) => void store.set(k, v) };
    saveSettingsForm({ ...DEFAULT_FORM, seed: '7' }, storage);
    expect(loadSettingsForm(storage).seed).toBe('7');
    store.set('distillery.chat.settings', '{not json');
    expect(loadSettingsForm(storage)).toEqual(DEFAULT_FORM);
    store.set('distillery.chat.settings', JSON.stringify({ temperature: 5, topP: '0.9' }));
    expect(loadSettingsForm(storage)).toEqual({ ...DEFAULT_FORM, topP: '0.9' });
  });
});
