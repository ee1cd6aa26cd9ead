/**
 * Command-line values checked with the API's zod schemas: a bad value is one line naming the option, the rule and
 * what was given (`--warmup must be at least 0 (got "-5")`), never a NaN passed on or a stack trace.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { z } from 'zod';
import { SUPPORTED_EXTENSIONS } from '../traces';
import { CliError } from './command';

/** Numbers as typed: '' and '12abc' are not numbers (Number('') is 0, parseFloat('12abc') is 12). */
function toNumber(value: string): number {
  return /^\s*[-+]?(\d+\.?\d*|\.\d+)(e[-+]?\d+)?\s*$/i.test(value) ? Number(value) : NaN;
}

/** A commander option parser for a numeric option validated by `schema`. */
export function numberOption(flag: string, schema: z.ZodType<number | undefined>) {
  return (value: string): number => {
    const parsed = schema.safeParse(toNumber(value));
    if (!parsed.success || parsed.data === undefined) {
      throw new CliError(`${flag} ${parsed.error?.issues[0]?.message ?? 'is required'} (got "${value}").`);
    }
    return parsed.data;
  };
}

/** A commander option parser for a string option validated by `schema` (an enum, say). */
export function choiceOption<T extends string>(flag: string, schema: z.ZodType<T>) {
  return (value: string): T => {
    const parsed = schema.safeParse(value);
    if (!parsed.success) throw new CliError(`${flag} ${parsed.error.issues[0]?.message} (got "${value}").`);
    return parsed.data;
  };
}

/** Does the folder (or a folder in it) hold a file the trace importer reads? */
function holdsTraceFile(folder: string): boolean {
  const names = fs.readdirSync(folder, { recursive: true, encoding: 'utf8' });
  return names.some((name) => SUPPORTED_EXTENSIONS.includes(path.extname(name).toLowerCase()));
}

/** --data: an existing traces file, or a folder with at least one trace file in it. */
export function checkDataPath(flag: string, value: string): void {
  let stat: fs.Stats;
  try {
    stat = fs.statSync(value);
  } catch {
    throw new CliError(`${flag} ${value} does not exist: give a traces file (.jsonl) or a folder of them.`);
  }
  if (stat.isDirectory() && !holdsTraceFile(value)) {
    throw new CliError(`${flag} ${value} holds no trace files (${SUPPORTED_EXTENSIONS.join(', ')}): put the traces there or point at the file.`);
  }
  if (!stat.isDirectory() && !stat.isFile()) throw new CliError(`${flag} ${path.resolve(value)} is not a file or folder.`);
}
