/**
 * Training checkpoints: trainable tensors, AdamW moments and the loop position, written to a temporary folder and
 * renamed into place, with `latest.json` updated last — a crash at any moment leaves the previous checkpoint whole.
 */
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SafetensorsCheckpoint, writeSafetensors } from '../model/safetensors';
import type { NamedTensor, PeftAdapterConfig } from './adapter';
import type { AdamWState } from './optim';
import type { RngState } from './rng';

export interface LoopState {
  step: number; // optimizer updates done
  totalSteps: number;
  epoch: number;
  cursor: number; // next record of `order`
  order: number[]; // this epoch's record order
  rng: RngState; // after drawing `order`
  history: { step: number; loss: number; lr: number; gradNorm: number }[];
  validation: { step: number; loss: number }[];
}

export interface Checkpoint {
  params: Map<string, NamedTensor>;
  optimizer: AdamWState;
  loop: LoopState;
}

const PARAMS_FILE = 'adapter_model.safetensors'; // with adapter_config.json beside it, a checkpoint is an adapter

export function saveCheckpoint(root: string, checkpoint: Checkpoint, adapterConfig?: PeftAdapterConfig, keep = 2): string {
  const name = `step-${String(checkpoint.loop.step).padStart(6, '0')}`;
  const dir = join(root, name);
  const tmp = join(root, `${name}.tmp`);
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  const params: Record<string, { dtype: 'F32'; shape: number[]; data: Float32Array }> = {};
  const moments: Record<string, { dtype: 'F32'; shape: number[]; data: Float32Array }> = {};
  for (const [key, tensor] of checkpoint.params) {
    params[key] = { dtype: 'F32', shape: tensor.shape, data: tensor.data };
    moments[`m:${key}`] = { dtype: 'F32', shape: tensor.shape, data: checkpoint.optimizer.m.get(key)! };
    moments[`v:${key}`] = { dtype: 'F32', shape: tensor.shape, data: checkpoint.optimizer.v.get(key)! };
  }
  writeSafetensors(join(tmp, PARAMS_FILE), params, { format: 'pt' });
  writeSafetensors(join(tmp, 'optimizer.safetensors'), moments);
  const state = { ...checkpoint.loop, optimizerStep: checkpoint.optimizer.step };
  writeFileSync(join(tmp, 'trainer_state.json'), JSON.stringify(state));
  if (adapterConfig) writeFileSync(join(tmp, 'adapter_config.json'), JSON.stringify(adapterConfig, null, 2) + '\n');
  rmSync(dir, { recursive: true, force: true });
  renameSync(tmp, dir);
  writeFileSync(join(root, 'latest.json.tmp'), JSON.stringify({ checkpoint: name, step: checkpoint.loop.step }));
  renameSync(join(root, 'latest.json.tmp'), join(root, 'latest.json'));
  pruneCheckpoints(root, keep);
  return dir;
}

function pruneCheckpoints(root: string, keep: number): void {
  const names = readdirSync(root).filter((n) => /^step-\d+$/.test(n)).sort();
  for (const old of names.slice(0, Math.max(0, names.length - keep))) rmSync(join(root, old), { recursive: true, force: true });
}

/** The checkpoint `latest.json` points at, or undefined when the folder holds none. */
export function latestCheckpointDir(root: string): string | undefined {
  const pointer = join(root, 'latest.json');
  if (!existsSync(pointer)) return undefined;
  const { checkpoint } = JSON.parse(readFileSync(pointer, 'utf8')) as { checkpoint: string };
  return join(root, checkpoint);
}

export function loadCheckpoint(dir: string): Checkpoint {
  const state = JSON.parse(readFileSync(join(dir, 'trainer_state.json'), 'utf8')) as LoopState & { optimizerStep: number };
  const paramFile = SafetensorsCheckpoint.open(join(dir, PARAMS_FILE));
  const momentFile = SafetensorsCheckpoint.open(join(dir, 'optimizer.safetensors'));
  const params = new Map<string, NamedTensor>();
  const m = new Map<string, Float32Array>();
  const v = new Map<string, Float32Array>();
  for (const key of paramFile.names()) {
    const entry = paramFile.get(key);
    params.set(key, { shape: entry.shape, data: entry.readFloat32().slice() });
    m.set(key, momentFile.get(`m:${key}`).readFloat32().slice());
    v.set(key, momentFile.get(`v:${key}`).readFloat32().slice());
  }
  const { optimizerStep, ...loop } = state;
  return { params, optimizer: { step: optimizerStep, m, v }, loop };
}
