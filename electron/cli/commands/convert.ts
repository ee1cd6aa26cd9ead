/** `distillery convert <hf-folder> <out-folder> --dtype fp32`: a Hugging Face checkpoint → a transformers.js folder. */
import fs from 'node:fs';
import path from 'node:path';
import { CONVERT_DTYPES, ConvertDtype, StartConvertInput, type SourceFile } from '../../contract/convert';
import { formatBytes } from '../../contract/units';
import { ConfigError } from '../../model/config';
import { SafetensorsError } from '../../model/safetensors';
import { convertCheckpoint } from '../../convert/convert';
import { convertProgressPrinter } from '../../convert/cli-progress';
import { sweepStalePartials } from '../../convert/partials';
import { ConvertError } from '../../convert/source';
import { CancelledError } from '../../convert/tensors';
import { CliError, type CliCommand } from '../command';
import { choiceOption, numberOption } from '../options';

/** The conversion job's own fields: the command line refuses what the API would. */
const convertInput = StartConvertInput.shape;

export interface ConvertOptions {
  /** One of the converter's dtypes (the command line checks it; the converter refuses others too). */
  dtype: string;
  /** q4/q4f16 only. */
  blockSize?: number;
  asymmetric?: boolean;
  /** No zero points (Q4_0's scheme); the default stores one per block. */
  symmetric?: boolean;
  accuracyLevel?: number;
  quantizeEmbeddings?: boolean;
  /** Keep lm_head float16 instead of 4-bit. */
  floatLmHead?: boolean;
  /** The graph other runtimes (transformers.js) load, with a slower KV cache in Distillery. */
  portable?: boolean;
  /** Replace an earlier conversion in the output folder (files the converter did not write are kept). */
  force?: boolean;
  /** A re-conversion's recorded source files: nothing is replaced when the checkpoint differs (`models reconvert`). */
  expectSource?: SourceFile[];
}

export interface ConvertFolderResult {
  onnxFile: string;
  dataFiles: string[];
  externalBytes: number;
  config: { modelType: string; numLayers: number };
}

/** The converter decides what may be replaced (only an earlier conversion, with --force); these are the CLI's own words. */
function checkOutputFolder(hfFolder: string, outFolder: string): void {
  if (path.resolve(hfFolder) === path.resolve(outFolder)) {
    throw new CliError('The output folder must differ from the Hugging Face folder: pick a new folder.');
  }
  if (fs.existsSync(outFolder) && !fs.statSync(outFolder).isDirectory()) throw new CliError(`${outFolder} is a file: give a folder to write the model into.`);
}

function checkSourceFolder(hfFolder: string): void {
  if (!fs.existsSync(hfFolder)) throw new CliError(`${hfFolder} does not exist: give the folder of a Hugging Face checkpoint.`);
  if (!fs.statSync(hfFolder).isDirectory()) throw new CliError(`${hfFolder} is not a folder: give the folder that holds config.json.`);
  if (!fs.existsSync(path.join(hfFolder, 'config.json'))) {
    throw new CliError(`${hfFolder} has no config.json: give the folder of a Hugging Face checkpoint (config.json, *.safetensors, tokenizer files).`);
  }
}

/** Progress on stderr: one rewritten line on a terminal, a line per 10 % otherwise (logs, CI). */
export function progressPrinter(stream: NodeJS.WriteStream = process.stderr): (event: { tensor: string; done: number; total: number }) => void {
  let lastDecile = -1;
  return ({ tensor, done, total }) => {
    const percent = Math.floor((100 * done) / total);
    if (stream.isTTY) {
      stream.write(`\rConverting ${String(percent).padStart(3)}% (${done}/${total}) ${tensor.slice(0, 60).padEnd(60)}`);
      if (done === total) stream.write('\n');
      return;
    }
    const decile = Math.floor(percent / 10);
    if (decile !== lastDecile) {
      lastDecile = decile;
      stream.write(`Converting ${percent}% (${done}/${total} tensors)\n`);
    }
  };
}

/** --symmetric or --asymmetric (or a re-conversion's recorded setting, either way); neither: the converter's default. */
function symmetricOption(options: ConvertOptions): boolean | undefined {
  if (options.symmetric && options.asymmetric) throw new CliError('Pass --symmetric or --asymmetric, not both.');
  if (options.symmetric) return true;
  return options.asymmetric === undefined ? undefined : !options.asymmetric;
}

export async function convertFolder(hfFolder: string, outFolder: string, options: ConvertOptions): Promise<ConvertFolderResult> {
  checkSourceFolder(hfFolder);
  checkOutputFolder(hfFolder, outFolder);
  // What an earlier `convert` into the same folder left when it was killed (its process is gone).
  await sweepStalePartials(path.resolve(outFolder));
  // Ctrl-C cancels cleanly: the partial output is removed before exiting.
  const controller = new AbortController();
  const onSigint = () => controller.abort();
  process.once('SIGINT', onSigint);
  try {
    const result = await convertCheckpoint(hfFolder, outFolder, {
      dtype: options.dtype,
      blockSize: options.blockSize,
      symmetric: symmetricOption(options),
      accuracyLevel: options.accuracyLevel,
      quantizeEmbeddings: options.quantizeEmbeddings || undefined,
      quantizeLmHead: options.floatLmHead ? false : undefined,
      portable: options.portable === true,
      overwrite: options.force === true,
      ...(options.expectSource ? { expectSource: options.expectSource } : {}),
      signal: controller.signal,
      onProgress: convertProgressPrinter(),
    });
    const dataFiles = fs.readdirSync(path.dirname(result.modelFile)).filter((f) => f.startsWith(`${path.basename(result.modelFile)}_data`));
    return {
      onnxFile: result.modelFile,
      dataFiles,
      externalBytes: result.manifest.outputBytes,
      config: { modelType: result.manifest.architecture, numLayers: JSON.parse(fs.readFileSync(path.join(result.outDir, 'config.json'), 'utf8')).num_hidden_layers },
    };
  } catch (error) {
    if (error instanceof CancelledError) throw new CliError('Conversion cancelled; the partial output was removed.');
    if (error instanceof ConfigError || error instanceof SafetensorsError || error instanceof ConvertError) throw new CliError(error.message);
    throw error;
  } finally {
    process.removeListener('SIGINT', onSigint);
  }
}

export const convertCommand: CliCommand = (program) => {
  program
    .command('convert')
    .description('Convert a Hugging Face qwen2/llama checkpoint folder into an ONNX model folder the app can run')
    .argument('<hf-folder>', 'folder with config.json, *.safetensors and the tokenizer files')
    .argument('<out-folder>', 'new or empty folder to write the model into')
    .option('--dtype <dtype>', `weight type (${CONVERT_DTYPES.join(', ')})`, choiceOption('--dtype', ConvertDtype), 'fp32')
    .option('--block-size <n>', 'q4/q4f16: weights per quantization block, a power of two ≥ 16 (default 64)', numberOption('--block-size', convertInput.blockSize))
    .option('--symmetric', 'q4/q4f16: no zero points (Q4_0\'s scheme; the default stores a zero point per block)')
    .option('--asymmetric', 'q4/q4f16: a zero point per block (the default; kept for scripts that pass it)')
    .option('--accuracy-level <n>', 'q4/q4f16: MatMulNBits accuracy_level 0–4 (default 4: int8 activations, fastest on CPU)', numberOption('--accuracy-level', convertInput.accuracyLevel))
    .option('--quantize-embeddings', 'q4/q4f16: store the token embedding in 4 bits (GatherBlockQuantized) instead of float16')
    .option('--float-lm-head', 'q4/q4f16: keep lm_head in float16 instead of 4 bits')
    .option('--portable', 'write the graph transformers.js can load too (GroupQueryAttention with past/present): with WebGPU its KV cache stays on the GPU (about 10× faster there); on the CPU it decodes slower at long contexts')
    .option('--force', 'replace an earlier Distillery conversion in <out-folder> (files it did not write are kept)')
    .action(async (hfFolder: string, outFolder: string, options: ConvertOptions) => {
      const started = Date.now();
      const result = await convertFolder(hfFolder, outFolder, options);
      const seconds = ((Date.now() - started) / 1000).toFixed(1);
      process.stdout.write(
        `Converted ${result.config.modelType} (${result.config.numLayers} layers) to ${result.onnxFile} ` +
          `(${result.dataFiles.length} data file(s), ${formatBytes(result.externalBytes)}) in ${seconds} s.\n` +
          `Add it with: distillery models add ${path.resolve(outFolder)}\n`,
      );
    });
};
