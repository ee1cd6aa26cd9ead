// Replacing an earlier conversion without losing anything the user put there: only the files a Distillery manifest
// says the converter wrote are replaced; every other file in the folder is carried over into the new model folder.
import { existsSync } from 'node:fs';
import { mkdir, readdir, rename, rm, stat } from 'node:fs/promises';
import { dirname, join, posix } from 'node:path';
import { MANIFEST_FILE, readManifest } from './manifest';
import { ConvertError } from './source';

/** Files the converter writes next to the ONNX model (config.json is rewritten, the others are copied). */
export const SIDE_FILES = ['config.json', 'generation_config.json', 'tokenizer.json', 'tokenizer_config.json', 'special_tokens_map.json', 'LICENSE'];

/** What a conversion into `target` may replace: the relative paths (posix) an earlier conversion wrote there. */
export interface ReplacePlan {
  owned: Set<string>;
}

/** The files a conversion with this ONNX file name writes: side files, manifest, model and its data chunks. */
function isOutputPath(rel: string, modelFile: string): boolean {
  return rel === MANIFEST_FILE || SIDE_FILES.includes(rel) || rel === modelFile || rel.startsWith(`${modelFile}_data`);
}

/** Every file under `root` (relative, posix), and every empty folder with a trailing slash (a user's folder counts too). */
async function listFiles(root: string, rel = ''): Promise<string[]> {
  const entries = await readdir(join(root, rel), { withFileTypes: true });
  if (rel && entries.length === 0) return [`${rel}/`];
  const out: string[] = [];
  for (const entry of entries) {
    const child = rel ? posix.join(rel, entry.name) : entry.name;
    if (entry.isDirectory()) out.push(...(await listFiles(root, child)));
    else out.push(child);
  }
  return out;
}

/**
 * May the conversion write into `target`? Undefined when it is new or empty. A non-empty folder is replaced only when
 * it is a Distillery model folder (it has a valid distillery.json) and `overwrite` is set, and only when none of the
 * new files would land on a file the converter did not write. `newModelFile`: e.g. onnx/model_q4.onnx.
 */
export async function planReplace(target: string, overwrite: boolean, newModelFile: string): Promise<ReplacePlan | undefined> {
  if (!existsSync(target)) return undefined;
  if (!(await stat(target)).isDirectory()) throw new ConvertError(`${target} exists and is not a folder: choose another output path.`);
  const files = await listFiles(target);
  if (files.length === 0) return undefined;
  if (!existsSync(join(target, MANIFEST_FILE))) {
    throw new ConvertError(
      `${target} is not empty and is not a Distillery model folder (it has no ${MANIFEST_FILE}): choose a new or empty output folder. ` +
        'Distillery never replaces a folder it did not write.',
    );
  }
  const manifest = await readManifest(target).catch((error: Error) => {
    throw new ConvertError(`${error.message} It is not replaced: choose a new output folder.`);
  });
  if (!overwrite) {
    throw new ConvertError(`${target} already holds a converted model: choose a new output folder, or pass --force to replace it.`);
  }
  const owned = new Set(files.filter((rel) => isOutputPath(rel, manifest.modelFile)));
  const clash = files.find((rel) => !owned.has(rel) && isOutputPath(rel, newModelFile));
  if (clash) {
    throw new ConvertError(`${join(target, clash)} was not written by this folder's conversion and would be overwritten: move it away or choose a new output folder.`);
  }
  return { owned };
}

/**
 * Moves `temp` (a complete conversion) to `target`. When replacing, the old folder is set aside first, so the target
 * is always either the old or the new model; then every file the old conversion did not write moves into the new
 * folder, and only the old conversion's own files are removed.
 */
export async function moveIntoPlace(temp: string, target: string, plan: ReplacePlan | undefined): Promise<void> {
  if (!existsSync(target)) {
    await rename(temp, target);
    return;
  }
  const old = `${temp}.old`;
  await rename(target, old);
  await rename(temp, target);
  const kept = (await listFiles(old)).filter((rel) => !plan?.owned.has(rel));
  for (const rel of kept) {
    const destination = join(target, rel);
    if (rel.endsWith('/')) {
      await mkdir(destination, { recursive: true });
      continue;
    }
    if (existsSync(destination)) {
      // Only possible when a file appeared during the conversion: keep the old folder rather than lose it.
      throw new ConvertError(`The model was replaced, but ${rel} could not be carried over; the previous folder is kept at ${old}.`);
    }
    await mkdir(dirname(destination), { recursive: true });
    await rename(join(old, rel), destination);
  }
  await rm(old, { recursive: true, force: true });
}
