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

/** `a, b or c` */
function oneOf(values: readonly unknown[]): string {
  const words = values.map(String);
  return words.length < 2 ? words.join('') : `${words.slice(0, -1).join(', ')} or ${words[words.length - 1]}`;
}

/**
 * The API's schemas keep zod's default words ("Too small: expected number to be >=1"); on a command line they read
 * as the rule. A schema's own message (the training options', a refinement's) wins over these.
 */
function cliWords(issue: z.core.$ZodRawIssue): string | undefined {
  switch (issue.code) {
    case 'invalid_type':
      return issue.expected === 'int' ? 'must be a whole number' : `must be a ${issue.expected}`;
    case 'too_small':
      return issue.inclusive ? `must be at least ${issue.minimum}` : `must be greater than ${issue.minimum}`;
    case 'too_big':
      return issue.inclusive ? `must be at most ${issue.maximum}` : `must be less than ${issue.maximum}`;
    case 'invalid_value':
      return `must be ${oneOf(issue.values)}`;
    default:
      return undefined;
  }
}

/** `value` checked by `schema`: its value, or a CliError `--flag <rule> (got "value").` */
function parseOption<T>(flag: string, schema: z.ZodType<T>, value: string, input: unknown): NonNullable<T> {
  const parsed = schema.safeParse(input, { error: cliWords });
  if (!parsed.success || parsed.data === undefined || parsed.data === null) {
    throw new CliError(`${flag} ${parsed.error?.issues[0]?.message ?? 'is required'} (got "${value}").`);
  }
  return parsed.data;
}

/** A commander option parser for a numeric option validated by `schema` (usually an API field's). */
export function numberOption(flag: string, schema: z.ZodType<number | undefined>) {
  return (value: string): number => parseOption(flag, schema, value, toNumber(value));
}

/** A commander option parser for a string option validated by `schema` (an enum, say). */
export function choiceOption<T extends string>(flag: string, schema: z.ZodType<T | undefined>) {
  return (value: string): T => parseOption(flag, schema, value, value);
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
