/**
 * Which files of a repository a download needs. An official safetensors checkpoint: the weights, config and
 * tokenizer (not the PyTorch .bin, GGUF or "original/" copies some repos also carry). A ready ONNX repo in the
 * transformers.js layout: the config and tokenizer plus only the chosen precision's graph and its external data.
 */
import type { RemoteFile } from './hub-client';

export type SourceKind = 'safetensors' | 'onnx';

const ONNX_FILE: Record<string, string> = { fp32: 'model', fp16: 'model_fp16', q4: 'model_q4', q4f16: 'model_q4f16' };
const TOP_LEVEL_EXTRAS = /^(config\.json|generation_config\.json|tokenizer\.json|tokenizer_config\.json|special_tokens_map\.json|vocab\.json|merges\.txt|tokenizer\.model|LICENSE(\.\w+)?|README\.md)$/;

/** A repo with onnx/model*.onnx is a ready ONNX model; one with *.safetensors a checkpoint to convert. */
export function detectSourceKind(files: RemoteFile[]): SourceKind | undefined {
  if (files.some((f) => /^onnx\/model[\w-]*\.onnx$/.test(f.path))) return 'onnx';
  if (files.some((f) => /^[^/]+\.safetensors$/.test(f.path))) return 'safetensors';
  return undefined;
}

export function selectFiles(files: RemoteFile[], kind: SourceKind, dtype?: string): RemoteFile[] {
  if (kind === 'safetensors') return files.filter((f) => TOP_LEVEL_EXTRAS.test(f.path) || /^[^/]+\.safetensors$/.test(f.path) || f.path === 'model.safetensors.index.json');
  const stem = ONNX_FILE[dtype ?? 'q4'] ?? ONNX_FILE.q4;
  const graph = new RegExp(`^onnx/${stem}\\.onnx(_data(_\\d+)?)?$`);
  return files.filter((f) => TOP_LEVEL_EXTRAS.test(f.path) || graph.test(f.path));
}

/** The ONNX precisions a ready repo offers. */
export function onnxDtypes(files: RemoteFile[]): string[] {
  return Object.entries(ONNX_FILE).filter(([, stem]) => files.some((f) => f.path === `onnx/${stem}.onnx`)).map(([dtype]) => dtype);
}
