/**
 * Convert a Hugging Face qwen2/llama folder into a transformers.js model folder:
 *   onnx/model{suffix}.onnx (+ .onnx_data chunks), config.json, generation_config.json, tokenizer files.
 * The dtype is a strategy (file suffix + decoder options), so fp16/q4 add an entry instead of branches.
 * Files are written to a temporary folder first and moved into place at the end: a failed conversion leaves an
 * existing model folder untouched.
 */
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { writeModel, type WriteOptions } from '../onnx/write';
import { ConfigError, loadModelConfig, type ModelConfig } from './config';
import { buildDecoder, type DecoderOptions } from './decoder';
import { checkpointWeights, validateWeights, type WeightSource } from './weights';

export interface ExportDtypeStrategy {
  /** Name used on the command line and in config.json (`fp32`, `fp16`, `q4`, …). */
  name: string;
  /** transformers.js file suffix: '' for fp32, '_fp16', '_q4', … */
  fileSuffix: string;
  /** Decoder options for this dtype (activation dtype, a `linear` hook for quantized projections, …). */
  decoderOptions(config: ModelConfig, weights: WeightSource): DecoderOptions;
}

const strategies = new Map<string, ExportDtypeStrategy>();

export function registerExportDtype(strategy: ExportDtypeStrategy): void {
  strategies.set(strategy.name, strategy);
}

export function exportDtypes(): string[] {
  return [...strategies.keys()];
}

registerExportDtype({ name: 'fp32', fileSuffix: '', decoderOptions: () => ({ dtype: 'float32' }) });

export interface ExportOptions {
  /** A registered dtype strategy (default 'fp32'). */
  dtype?: string;
  /** Progress while weights stream to disk. */
  onProgress?: (event: { tensor: string; done: number; total: number }) => void;
  write?: Omit<WriteOptions, 'onTensor'>;
}

export interface ExportResult {
  outFolder: string;
  onnxFile: string;
  dataFiles: string[];
  externalBytes: number;
  config: ModelConfig;
}

const REQUIRED_FILES = ['tokenizer.json', 'tokenizer_config.json'];
const OPTIONAL_FILES = ['special_tokens_map.json', 'chat_template.jinja', 'chat_template.json'];

export async function exportModelFolder(hfFolder: string, outFolder: string, options: ExportOptions = {}): Promise<ExportResult> {
  const strategy = strategies.get(options.dtype ?? 'fp32');
  if (!strategy) throw new ConfigError(`Unknown dtype "${options.dtype}" (available: ${exportDtypes().join(', ')}).`);
  if (resolve(hfFolder) === resolve(outFolder)) throw new ConfigError('The output folder must differ from the Hugging Face folder.');
  const config = loadModelConfig(hfFolder);
  for (const file of REQUIRED_FILES) {
    if (!existsSync(join(hfFolder, file))) throw new ConfigError(`${join(hfFolder, file)} is missing: copy the full model folder (tokenizer files included).`);
  }
  const weights = checkpointWeights(hfFolder);
  validateWeights(config, weights, hfFolder);

  mkdirSync(outFolder, { recursive: true });
  const staging = mkdtempSync(join(outFolder, '.export-'));
  try {
    const { graph } = buildDecoder(config, weights, strategy.decoderOptions(config, weights));
    const onnxName = `model${strategy.fileSuffix}.onnx`;
    const written = await writeModel(graph, join(staging, onnxName), {
      ...options.write,
      onTensor: (tensor, index, total) => options.onProgress?.({ tensor, done: index + 1, total }),
    });
    const onnxFolder = join(outFolder, 'onnx');
    mkdirSync(onnxFolder, { recursive: true });
    for (const file of [...written.dataFiles, onnxName]) renameSync(join(staging, file), join(onnxFolder, file));
    writeConfig(hfFolder, outFolder, onnxName, written.dataFiles.length);
    writeGenerationConfig(hfFolder, outFolder, config);
    for (const file of [...REQUIRED_FILES, ...OPTIONAL_FILES]) {
      if (existsSync(join(hfFolder, file))) copyFileSync(join(hfFolder, file), join(outFolder, file));
    }
    return { outFolder, onnxFile: join(onnxFolder, onnxName), dataFiles: written.dataFiles, externalBytes: written.externalBytes, config };
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
}

/** config.json = the original, plus the external-data chunk count per ONNX file (merged with earlier exports). */
function writeConfig(hfFolder: string, outFolder: string, onnxName: string, chunks: number): void {
  const config = JSON.parse(readFileSync(join(hfFolder, 'config.json'), 'utf8')) as Record<string, unknown>;
  const outFile = join(outFolder, 'config.json');
  const previous = existsSync(outFile) ? (JSON.parse(readFileSync(outFile, 'utf8')) as Record<string, unknown>) : {};
  const jsConfig = { ...(previous['transformers.js_config'] as Record<string, unknown> | undefined), ...(config['transformers.js_config'] as Record<string, unknown> | undefined) };
  setExternalDataChunks(jsConfig, onnxName, chunks);
  config['transformers.js_config'] = jsConfig;
  writeFileSync(outFile, `${JSON.stringify(config, null, 2)}\n`);
}

/**
 * Records in a config.json's `transformers.js_config` how many external-data files an ONNX file has (transformers.js
 * loads `{file}_data`, `{file}_data_1`, … from it); 0 removes the entry. Other files' entries are kept.
 */
export function setExternalDataChunks(jsConfig: Record<string, unknown>, onnxFile: string, chunks: number): void {
  const previous = jsConfig.use_external_data_format;
  const external = typeof previous === 'object' && previous !== null ? { ...(previous as Record<string, number>) } : {};
  if (chunks > 0) external[onnxFile] = chunks;
  else delete external[onnxFile];
  jsConfig.use_external_data_format = external;
}

function writeGenerationConfig(hfFolder: string, outFolder: string, config: ModelConfig): void {
  const source = join(hfFolder, 'generation_config.json');
  if (existsSync(source)) {
    copyFileSync(source, join(outFolder, 'generation_config.json'));
    return;
  }
  const generation: Record<string, unknown> = { _from_model_config: true };
  if (config.bosTokenId !== null) generation.bos_token_id = config.bosTokenId;
  if (config.eosTokenId !== null) generation.eos_token_id = config.eosTokenId;
  writeFileSync(join(outFolder, 'generation_config.json'), `${JSON.stringify(generation, null, 2)}\n`);
}
