/**
 * Pure logic of the execution provider choices: the Settings default and a model's override (Models screen).
 * Which choices this machine can run comes from engine.info; an unavailable choice says what would fix it.
 */
import type { EngineInfo } from '../../electron/contract/api';
import type { ModelInfo } from '../../electron/contract/inference';

export type ProviderChoice = 'auto' | 'cuda' | 'dml' | 'coreml' | 'webgpu' | 'cpu';
export const PROVIDER_CHOICES: readonly ProviderChoice[] = ['auto', 'cuda', 'dml', 'coreml', 'webgpu', 'cpu'];

export const APPLIES_AT_NEXT_LOAD = 'Changes apply the next time a model is loaded; a loaded model keeps its provider until then.';

const NAMES: Record<ProviderChoice, string> = {
  auto: 'Automatic',
  cuda: 'CUDA (NVIDIA)',
  dml: 'DirectML (Windows)',
  coreml: 'CoreML (macOS)',
  webgpu: 'WebGPU',
  cpu: 'CPU',
};

/** Fix text for providers this build of ONNX Runtime does not list at all. */
const NOT_IN_BUILD: Record<Exclude<ProviderChoice, 'auto' | 'cpu'>, string> = {
  cuda: 'ONNX Runtime here has no CUDA provider: it runs on Linux x64 with an NVIDIA GPU, CUDA 12 and cuDNN 9.',
  dml: 'DirectML runs on Windows 10 1903+ with a DirectX 12 GPU only.',
  coreml: 'CoreML runs on macOS on Apple silicon only.',
  webgpu: 'ONNX Runtime here was built without WebGPU.',
};

export interface ProviderOption {
  value: ProviderChoice;
  label: string;
  /** undefined while the engine has not said. */
  available?: boolean;
  /** Why it cannot run here and how to fix that, or a caveat when it can. */
  detail?: string;
}

/** Whether `choice` can run here, and the engine's words about it. 'auto' and 'cpu' always can. */
export function availability(choice: ProviderChoice, info: EngineInfo | null | undefined): Pick<ProviderOption, 'available' | 'detail'> {
  if (choice === 'auto' || choice === 'cpu') return { available: true };
  if (!info) return {};
  const listed = info.executionProviders.find((p) => p.name === choice);
  if (!listed) return { available: false, detail: NOT_IN_BUILD[choice] };
  return listed.detail ? { available: listed.available, detail: listed.detail } : { available: listed.available };
}

/**
 * The options of a provider select. `scope` 'model': 'auto' means "use the Settings default" (`defaultChoice`).
 */
export function providerOptions(info: EngineInfo | null | undefined, scope: 'default' | 'model' = 'default', defaultChoice: ProviderChoice = 'auto'): ProviderOption[] {
  return PROVIDER_CHOICES.map((value) => {
    const state = availability(value, info);
    let label = NAMES[value];
    if (value === 'auto') label = scope === 'model' ? `Settings default (${NAMES[defaultChoice].toLowerCase()})` : 'Automatic (best available)';
    else if (state.available === false) label += ' — not available here';
    return { value, label, ...state };
  });
}

/** What to tell the user under the select for the current choice: the fix when it cannot run here, else nothing. */
export function choiceWarning(choice: ProviderChoice, info: EngineInfo | null | undefined): string | undefined {
  const state = availability(choice, info);
  if (state.available !== false) return undefined;
  return `${NAMES[choice]} is not available on this machine, so models fall back to the next provider (in the end the CPU). ${state.detail ?? ''}`.trim();
}

/** The choice a model's select shows: its override, else 'auto' (the Settings default). */
export function modelChoice(model: Pick<ModelInfo, 'providerOverride'>): ProviderChoice {
  return model.providerOverride ?? 'auto';
}

/** "fine-tuned from Qwen 1.5B" for a model merged from a base, else undefined. */
export function derivedLabel(model: Pick<ModelInfo, 'baseName' | 'derivedFrom'>): string | undefined {
  const base = model.baseName ?? model.derivedFrom;
  return base ? `fine-tuned from ${base}` : undefined;
}

/** Narrows a select's value (a string) to a provider choice. */
export function asProviderChoice(value: string): ProviderChoice {
  return (PROVIDER_CHOICES as readonly string[]).includes(value) ? (value as ProviderChoice) : 'auto';
}
