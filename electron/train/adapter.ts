/**
 * PEFT LoRA adapter folders (adapter_config.json + adapter_model.safetensors), named and shaped exactly as
 * Hugging Face PEFT saves them so adapters move freely between Distillery and the Python ecosystem.
 */
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SafetensorsCheckpoint, writeSafetensors } from '../model/safetensors';
import { Rng } from './rng';

export const LORA_MODULES = ['q_proj', 'k_proj', 'v_proj', 'o_proj', 'gate_proj', 'up_proj', 'down_proj'] as const;
export type LoraModule = (typeof LORA_MODULES)[number];

export interface LoraSettings {
  rank: number;
  alpha: number;
  targets: LoraModule[];
  useRslora?: boolean;
  dropout?: number; // stored in the config; training graphs here run without dropout
}

export interface PeftAdapterConfig {
  peft_type: 'LORA';
  task_type: 'CAUSAL_LM';
  r: number;
  lora_alpha: number;
  lora_dropout: number;
  target_modules: string[];
  bias: 'none';
  use_rslora: boolean;
  use_dora: false;
  fan_in_fan_out: false;
  base_model_name_or_path: string | null;
  inference_mode: true;
  modules_to_save: null;
}

export interface NamedTensor {
  shape: number[];
  data: Float32Array;
}

/** `base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight` for module path `model.layers.0.self_attn.q_proj`. */
export function peftKey(modulePath: string, which: 'A' | 'B'): string {
  return `base_model.model.${modulePath}.lora_${which}.weight`;
}

/** Inverse of peftKey: the module path and which factor, or undefined for a key that is not a LoRA factor. */
export function parsePeftKey(key: string): { modulePath: string; which: 'A' | 'B' } | undefined {
  const match = /^base_model\.model\.(.+)\.lora_([AB])\.weight$/.exec(key);
  return match ? { modulePath: match[1], which: match[2] as 'A' | 'B' } : undefined;
}

export function loraScaling(settings: Pick<LoraSettings, 'rank' | 'alpha' | 'useRslora'>): number {
  return settings.useRslora ? settings.alpha / Math.sqrt(settings.rank) : settings.alpha / settings.rank;
}

/** Module name a module path ends with ('model.layers.3.mlp.up_proj' → 'up_proj'). */
export function moduleName(modulePath: string): string {
  return modulePath.slice(modulePath.lastIndexOf('.') + 1);
}

export function parseTargets(list: string): LoraModule[] {
  const names = list.split(',').map((s) => s.trim()).filter(Boolean);
  const expanded = names.includes('all-linear') ? [...LORA_MODULES] : names;
  for (const name of expanded) {
    if (!(LORA_MODULES as readonly string[]).includes(name)) {
      throw new Error(`unknown LoRA target '${name}': choose from ${LORA_MODULES.join(', ')} or all-linear`);
    }
  }
  if (expanded.length === 0) throw new Error('no LoRA targets given: pass e.g. --targets q_proj,v_proj');
  return expanded as LoraModule[];
}

export function adapterConfig(settings: LoraSettings, baseModel: string | null): PeftAdapterConfig {
  return {
    peft_type: 'LORA',
    task_type: 'CAUSAL_LM',
    r: settings.rank,
    lora_alpha: settings.alpha,
    lora_dropout: settings.dropout ?? 0,
    target_modules: [...settings.targets],
    bias: 'none',
    use_rslora: settings.useRslora ?? false,
    use_dora: false,
    fan_in_fan_out: false,
    base_model_name_or_path: baseModel,
    inference_mode: true,
    modules_to_save: null,
  };
}

/** Writes the adapter folder; files are written under temporary names and renamed, so a crash leaves no half file. */
export function writeAdapter(dir: string, config: PeftAdapterConfig, tensors: Map<string, NamedTensor>): void {
  mkdirSync(dir, { recursive: true });
  const safetensors: Record<string, { dtype: 'F32'; shape: number[]; data: Float32Array }> = {};
  for (const key of [...tensors.keys()].sort()) {
    const tensor = tensors.get(key)!;
    safetensors[key] = { dtype: 'F32', shape: tensor.shape, data: tensor.data };
  }
  writeSafetensors(join(dir, 'adapter_model.safetensors.tmp'), safetensors, { format: 'pt' });
  renameSync(join(dir, 'adapter_model.safetensors.tmp'), join(dir, 'adapter_model.safetensors'));
  writeFileSync(join(dir, 'adapter_config.json.tmp'), JSON.stringify(config, null, 2) + '\n');
  renameSync(join(dir, 'adapter_config.json.tmp'), join(dir, 'adapter_config.json'));
}

export function readAdapter(dir: string): { config: PeftAdapterConfig; tensors: Map<string, NamedTensor> } {
  let config: PeftAdapterConfig;
  try {
    config = JSON.parse(readFileSync(join(dir, 'adapter_config.json'), 'utf8')) as PeftAdapterConfig;
  } catch (error) {
    throw new Error(`${dir}: cannot read adapter_config.json (${(error as Error).message}); is this a PEFT adapter folder?`);
  }
  if (config.peft_type !== 'LORA') throw new Error(`${dir}: adapter type '${config.peft_type}' is not supported (only LORA)`);
  const checkpoint = SafetensorsCheckpoint.open(join(dir, 'adapter_model.safetensors'));
  const tensors = new Map<string, NamedTensor>();
  for (const name of checkpoint.names()) {
    const entry = checkpoint.get(name);
    tensors.set(name, { shape: entry.shape, data: entry.readFloat32().slice() });
  }
  return { config, tensors };
}

/** PEFT's init: A ~ kaiming-uniform(a = √5) = U(−1/√in, 1/√in), B = 0 — the adapted model starts equal to the base. */
export function initLoraTensors(trainables: { name: string; shape: number[]; which?: 'A' | 'B' }[], seed: number): Map<string, NamedTensor> {
  const rng = new Rng(seed);
  const tensors = new Map<string, NamedTensor>();
  for (const t of trainables) {
    const data = new Float32Array(t.shape[0] * t.shape[1]);
    if (t.which === 'A') {
      const bound = 1 / Math.sqrt(t.shape[1]);
      for (let i = 0; i < data.length; i++) data[i] = rng.uniform(-bound, bound);
    }
    tensors.set(t.name, { shape: [...t.shape], data });
  }
  return tensors;
}
