/**
 * Ready-made model folders for other tests, cached in os.tmpdir(): a folder is keyed by its options and by the
 * source of the code that writes it, so a change to the factory (or the converter) gives a fresh folder, and
 * parallel test workers share finished ones. Writers build into a private temp folder and rename it into place.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { exportModelFolder } from '../model/export';
import { tinyShape, writeTinyCheckpoint, type TinyCheckpointOptions } from './factory';
import type { Arch, ModelShape } from './hf-config';
import type { ScriptPlan } from './scripted';
import { planScriptText, writeScriptedCheckpoint } from './scripted-checkpoint';

export const FIXTURE_ROOT = path.join(os.tmpdir(), 'distillery-fixtures');
const ELECTRON_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const COMPLETE_MARKER = '.fixture-complete';
// Sources change often while developing; a folder of an outdated hash this old is no longer being read.
const STALE_MS = 20 * 60 * 1000;

const sourceHashes = new Map<string, string>();

/** Hash of the non-test .ts sources under electron/<folder> for each folder. */
export function sourceHash(folders: string[]): string {
  const key = folders.join(',');
  let hash = sourceHashes.get(key);
  if (hash) return hash;
  const digest = crypto.createHash('sha256');
  for (const folder of folders) {
    const dir = path.join(ELECTRON_DIR, folder);
    if (!fs.existsSync(dir)) continue;
    for (const file of fs.readdirSync(dir).sort()) {
      if (!file.endsWith('.ts') || file.endsWith('.test.ts')) continue;
      digest.update(file).update(fs.readFileSync(path.join(dir, file)));
    }
  }
  hash = digest.digest('hex').slice(0, 12);
  sourceHashes.set(key, hash);
  return hash;
}

/**
 * Removes folders of `kind` written by other versions of their sources, once nobody has touched them for a while.
 * A folder of the same sources but other options is never removed: a parallel worker may be reading it.
 */
function pruneStale(kind: string, sources: string): void {
  if (!fs.existsSync(FIXTURE_ROOT)) return;
  const ofKind = new RegExp(`^${kind}-(?:([0-9a-f]{12})-)?[0-9a-f]{16}$`); // the older names had no sources part
  for (const name of fs.readdirSync(FIXTURE_ROOT)) {
    const match = ofKind.exec(name);
    if (!match || match[1] === sources) continue;
    const full = path.join(FIXTURE_ROOT, name);
    try {
      if (Date.now() - fs.statSync(full).mtimeMs > STALE_MS) fs.rmSync(full, { recursive: true, force: true });
    } catch {
      // Another worker may be pruning the same folder.
    }
  }
}

/** Returns a finished folder for (kind, key), building it with `build(dir)` the first time. */
export async function cachedFolder(kind: string, key: unknown, folders: string[], build: (dir: string) => void | Promise<void>): Promise<string> {
  const sources = sourceHash(folders);
  const name = `${kind}-${sources}-${crypto.createHash('sha256').update(JSON.stringify(key)).digest('hex').slice(0, 16)}`;
  const dir = path.join(FIXTURE_ROOT, name);
  if (fs.existsSync(path.join(dir, COMPLETE_MARKER))) return dir;
  fs.mkdirSync(FIXTURE_ROOT, { recursive: true });
  pruneStale(kind, sources);
  const staging = fs.mkdtempSync(path.join(FIXTURE_ROOT, `.staging-${name}-`));
  try {
    await build(staging);
    fs.writeFileSync(path.join(staging, COMPLETE_MARKER), '');
    fs.renameSync(staging, dir);
  } catch (error) {
    fs.rmSync(staging, { recursive: true, force: true });
    // A parallel worker finished the same folder first: use it.
    if (fs.existsSync(path.join(dir, COMPLETE_MARKER))) return dir;
    throw error;
  }
  return dir;
}

const CHECKPOINT_SOURCES = ['testing', 'tokenizer', 'model'];

/** A tiny random R1-style Hugging Face folder (see writeTinyCheckpoint for the defaults). */
export async function makeTinyModel(options: TinyCheckpointOptions): Promise<{ hfDir: string; shape: ModelShape }> {
  const hfDir = await cachedFolder('tiny', options, CHECKPOINT_SOURCES, (dir) => {
    writeTinyCheckpoint(dir, options);
  });
  return { hfDir, shape: tinyShape(options) };
}

export const DEFAULT_SCRIPT = 'Let me add.\n</think>\n\nThe answer is \\boxed{4}.';

/**
 * A model whose greedy reply to any R1 prompt is `script` then eos. Generate with do_sample: false (the folder's
 * generation_config.json keeps DeepSeek's sampling defaults).
 */
export async function makeScriptedModel(script: string = DEFAULT_SCRIPT, arch: Arch = 'qwen2'): Promise<{ hfDir: string; plan: ScriptPlan }> {
  const hfDir = await cachedFolder('scripted', { script, arch }, CHECKPOINT_SOURCES, (dir) => {
    writeScriptedCheckpoint(dir, { arch, script });
  });
  return { hfDir, plan: planScriptText(arch, script) };
}

const CONVERTER_SOURCES = ['model', 'onnx', 'convert'];

/** The ONNX (transformers.js) folder converted from a Hugging Face folder, e.g. one from makeTinyModel. */
export async function convertedModel(hfDir: string, options: { dtype?: string } = {}): Promise<{ onnxDir: string }> {
  const dtype = options.dtype ?? 'fp32';
  const key = { hfDir: path.resolve(hfDir), dtype, files: folderFingerprint(hfDir) };
  const onnxDir = await cachedFolder('onnx', key, CONVERTER_SOURCES, async (dir) => {
    await exportModelFolder(hfDir, dir, { dtype });
  });
  return { onnxDir };
}

/** Names, sizes and modification times: a folder rewritten in place gets a new conversion. */
function folderFingerprint(dir: string): string[] {
  return fs
    .readdirSync(dir)
    .sort()
    .map((name) => {
      const stat = fs.statSync(path.join(dir, name));
      return `${name}:${stat.size}:${stat.mtimeMs}`;
    });
}

/** A folder written by the app's converter (the fused graph with its manifest), e.g. from makeTinyModel. */
export async function fusedModel(hfDir: string, options: { dtype?: string; portable?: boolean; valueLayout?: 'rows' } = {}): Promise<{ onnxDir: string }> {
  const dtype = options.dtype ?? 'fp32';
  const portable = options.portable ?? false;
  const key = { hfDir: path.resolve(hfDir), dtype, portable, ...(options.valueLayout ? { valueLayout: options.valueLayout } : {}), files: folderFingerprint(hfDir) };
  const dir = await cachedFolder('converted', key, CONVERTER_SOURCES, async (staging) => {
    const { convertCheckpoint } = await import('../convert/convert');
    await convertCheckpoint(hfDir, path.join(staging, 'model'), { dtype, portable, valueLayout: options.valueLayout });
  });
  return { onnxDir: path.join(dir, 'model') };
}
