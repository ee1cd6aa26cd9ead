/** `distillery convert <hf-folder> <out-folder> --dtype fp32`: a Hugging Face checkpoint → a transformers.js folder. */
import fs from 'node:fs';
import path from 'node:path';
import { ConfigError } from '../../model/config';
import { exportDtypes, exportModelFolder, type ExportResult } from '../../model/export';
import { SafetensorsError } from '../../model/safetensors';
import { CliError, type CliCommand } from '../command';

export interface ConvertOptions {
  dtype: string;
}

/** The output may be new, empty, or an earlier conversion (it has onnx/): never a folder holding something else. */
function checkOutputFolder(hfFolder: string, outFolder: string): void {
  if (path.resolve(hfFolder) === path.resolve(outFolder)) {
    throw new CliError('The output folder must differ from the Hugging Face folder: pick a new folder.');
  }
  if (!fs.existsSync(outFolder)) return;
  if (!fs.statSync(outFolder).isDirectory()) throw new CliError(`${outFolder} is a file: give a folder to write the model into.`);
  const entries = fs.readdirSync(outFolder);
  if (entries.length > 0 && !entries.includes('onnx')) {
    throw new CliError(`${outFolder} is not empty and is not a converted model: pick a new or empty folder.`);
  }
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

export async function convertFolder(hfFolder: string, outFolder: string, options: ConvertOptions): Promise<ExportResult> {
  if (!exportDtypes().includes(options.dtype)) {
    throw new CliError(`Unknown --dtype "${options.dtype}": use one of ${exportDtypes().join(', ')}.`);
  }
  checkSourceFolder(hfFolder);
  checkOutputFolder(hfFolder, outFolder);
  try {
    return await exportModelFolder(hfFolder, outFolder, { dtype: options.dtype, onProgress: progressPrinter() });
  } catch (error) {
    if (error instanceof ConfigError || error instanceof SafetensorsError) throw new CliError(error.message);
    throw error;
  }
}

function formatSize(bytes: number): string {
  return bytes >= 1024 ** 3 ? `${(bytes / 1024 ** 3).toFixed(2)} GiB` : `${(bytes / 1024 ** 2).toFixed(1)} MiB`;
}

export const convertCommand: CliCommand = (program) => {
  program
    .command('convert')
    .description('Convert a Hugging Face qwen2/llama checkpoint folder into an ONNX model folder the app can run')
    .argument('<hf-folder>', 'folder with config.json, *.safetensors and the tokenizer files')
    .argument('<out-folder>', 'new or empty folder to write the model into')
    .option('--dtype <dtype>', `weight type (${exportDtypes().join(', ')})`, 'fp32')
    .action(async (hfFolder: string, outFolder: string, options: ConvertOptions) => {
      const started = Date.now();
      const result = await convertFolder(hfFolder, outFolder, options);
      const seconds = ((Date.now() - started) / 1000).toFixed(1);
      process.stdout.write(
        `Converted ${result.config.modelType} (${result.config.numLayers} layers) to ${result.onnxFile} ` +
          `(${result.dataFiles.length} data file(s), ${formatSize(result.externalBytes)}) in ${seconds} s.\n` +
          `Add it with: distillery models add ${path.resolve(outFolder)}\n`,
      );
    });
};
