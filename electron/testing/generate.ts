/**
 * Greedy decoding for tests, two independent ways: transformers.js on a converted ONNX folder (offline), and the
 * float64 reference on the Hugging Face folder.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { AutoModelForCausalLM, AutoTokenizer, env, Tensor, type PreTrainedModel, type PreTrainedTokenizer } from '@huggingface/transformers';
import { loadModelConfig } from '../model/config';
import { ReferenceModel } from './reference';
import { checkpointWeights } from '../model/weights';

let cacheDir: string | undefined;

/** transformers.js reads models only from disk: no hub, and a writable cache outside the library folder. */
export function useOfflineTransformers(modelParent: string): void {
  cacheDir ??= fs.mkdtempSync(path.join(os.tmpdir(), 'distillery-tjs-cache-'));
  env.allowRemoteModels = false;
  env.allowLocalModels = true;
  env.localModelPath = modelParent.endsWith(path.sep) ? modelParent : modelParent + path.sep;
  env.cacheDir = cacheDir;
}

export interface LoadedModel {
  model: PreTrainedModel;
  tokenizer: PreTrainedTokenizer;
}

/** Loads a converted folder (fp32 ONNX) with transformers.js, offline. */
export async function loadTransformersModel(onnxDir: string): Promise<LoadedModel> {
  useOfflineTransformers(path.dirname(path.resolve(onnxDir)));
  const name = path.basename(onnxDir);
  const tokenizer = await AutoTokenizer.from_pretrained(name);
  const model = await AutoModelForCausalLM.from_pretrained(name, { dtype: 'fp32', device: 'cpu' });
  return { model, tokenizer };
}

/** The R1 prompt ids for one user message (bos … <｜Assistant｜><think>\n). */
export function promptIds(tokenizer: PreTrainedTokenizer, user: string): number[] {
  const ids = tokenizer.apply_chat_template([{ role: 'user', content: user }], {
    add_generation_prompt: true,
    tokenize: true,
    return_tensor: false,
    return_dict: false,
  });
  return ids as unknown as number[];
}

/** New token ids from greedy decoding (do_sample off: generation_config.json asks for sampling). */
export async function transformersGreedy(loaded: LoadedModel, prompt: number[], maxNewTokens: number): Promise<number[]> {
  const inputIds = new Tensor('int64', BigInt64Array.from(prompt, BigInt), [1, prompt.length]);
  const attentionMask = new Tensor('int64', new BigInt64Array(prompt.length).fill(1n), [1, prompt.length]);
  const output = (await loaded.model.generate({
    input_ids: inputIds,
    attention_mask: attentionMask,
    max_new_tokens: maxNewTokens,
    do_sample: false,
  })) as Tensor;
  return (output.tolist() as bigint[][])[0].slice(prompt.length).map(Number);
}

/** Greedy decoding with the float64 reference through its KV cache; stops after `eos` (included) if given. */
export function referenceGreedy(hfDir: string, prompt: number[], maxNewTokens: number, eos?: number): number[] {
  const reference = new ReferenceModel(loadModelConfig(hfDir), checkpointWeights(hfDir));
  const vocab = reference.config.vocabSize;
  const generated: number[] = [];
  let step = reference.forward({ inputIds: [prompt], attentionMask: [prompt.map(() => 1)], positionIds: [prompt.map((_, i) => i)] });
  let position = prompt.length;
  for (let n = 0; n < maxNewTokens; n++) {
    const last = step.logits.subarray(step.logits.length - vocab);
    let best = 0;
    for (let i = 1; i < vocab; i++) if (last[i] > last[best]) best = i;
    generated.push(best);
    if (best === eos) break;
    step = reference.forward({
      inputIds: [[best]],
      attentionMask: [new Array<number>(position + 1).fill(1)],
      positionIds: [[position]],
      past: step.present,
    });
    position++;
  }
  return generated;
}
