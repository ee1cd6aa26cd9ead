/**
 * Sizes computed from a config.json: parameters, the bf16 checkpoint a download fetches, and each ONNX precision's
 * weights as the converter writes them (its own estimate, electron/convert/settings.ts).
 */
import { CONVERT_DTYPES, type ConvertDtype } from '../contract/convert';
import { estimateOutputBytes, resolveStrategy } from '../convert/settings';
import { expectedWeightShapes, parseModelConfig, type ModelConfig } from '../model/config';

export interface ModelSizes {
  config: ModelConfig;
  parameters: number;
  /** The official checkpoint: bf16 safetensors. */
  checkpointBytes: number;
  /** Weights of each converted precision. */
  onnxBytes: Record<ConvertDtype, number>;
}

export function modelSizes(configJson: Record<string, unknown>, source = 'config.json'): ModelSizes {
  const config = parseModelConfig(configJson, source);
  let parameters = 0;
  for (const [, shape] of expectedWeightShapes(config)) parameters += shape.reduce((a, b) => a * b, 1);
  const onnxBytes = Object.fromEntries(CONVERT_DTYPES.map((d) => [d, estimateOutputBytes(config, resolveStrategy(d))])) as Record<ConvertDtype, number>;
  return { config, parameters, checkpointBytes: parameters * 2, onnxBytes };
}

/** "1.8B", "70.6B": the parameter count as model names spell it. */
export function formatParameters(n: number): string {
  return n >= 1e9 ? `${(n / 1e9).toFixed(1)}B` : `${Math.round(n / 1e6)}M`;
}
