// The benches' one way to run a measurement in its own process (so its peak RSS and warm-up are its own): a TypeScript
// file through tsx in a child Node (a bundled .mjs as it is: how a bench travels to a machine without node_modules),
// whose last stdout line is its result as JSON.
import { spawn } from 'node:child_process';
import { basename } from 'node:path';

export interface ChildOptions {
  /** Node flags before the script (e.g. --expose-gc). */
  nodeFlags?: string[];
  env?: NodeJS.ProcessEnv;
}

export function childJson<T>(file: string, args: string[], options: ChildOptions = {}): Promise<T> {
  const name = `${basename(file)} ${args[0] ?? ''}`.trim();
  return new Promise((resolve, reject) => {
    const argv = [...(options.nodeFlags ?? []), ...(file.endsWith('.mjs') ? [] : ['--import', 'tsx']), file, ...args];
    const proc = spawn(process.execPath, argv, { stdio: ['ignore', 'pipe', 'inherit'], env: options.env ?? process.env });
    let out = '';
    proc.stdout.on('data', (d: Buffer) => (out += d.toString()));
    proc.on('exit', (code) => {
      if (code !== 0) return reject(new Error(`${name} exited with ${code}: ${out.slice(-2000)}`));
      try {
        resolve(JSON.parse(out.trim().split('\n').at(-1) ?? '') as T);
      } catch {
        reject(new Error(`${name} printed no result: ${out.slice(-2000)}`));
      }
    });
  });
}
