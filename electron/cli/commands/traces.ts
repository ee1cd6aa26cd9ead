/**
 * `distillery traces check <folder>` (the import report: counts per format, problems with file:line, lengths) and
 * `distillery traces convert <folder> --out data.jsonl` (the canonical JSONL that `train run` reads).
 */
import type { Command } from 'commander';
import { finetuneApi } from '../../contract/finetune';
import { formatBytes } from '../../contract/units';
import { loadTrainingTokenizer } from '../../train/tokenize';
import { checkTraces, importTraces, parseFieldMap, type ImportOptions, type ImportProgress, type TraceReport } from '../../traces';
import { CliError, type CliCommand } from '../command';
import { numberOption } from '../options';

interface ImportFlags { map?: string; model?: string; maxLength?: number }
interface CheckFlags extends ImportFlags { json?: boolean }
interface ConvertFlags extends ImportFlags { out: string }

/** Shown while importing big inputs: a bar rewritten in place on a TTY, nothing in logs (the report follows). */
export function importProgressPrinter(stream: NodeJS.WriteStream = process.stderr): (p: ImportProgress) => void {
  return (p) => {
    if (!stream.isTTY || p.bytesTotal < 20_000_000) return;
    const fraction = p.bytesTotal ? p.bytesDone / p.bytesTotal : 0;
    const filled = Math.round(fraction * 24);
    stream.write(`\r[${'#'.repeat(filled)}${'.'.repeat(24 - filled)}] ${String(Math.floor(fraction * 100)).padStart(3)}%  ` +
      `${formatBytes(p.bytesDone)}/${formatBytes(p.bytesTotal)}  ${p.records.toLocaleString('en-US')} records\x1b[K`);
    if (fraction >= 1) stream.write('\n');
  };
}

export async function importOptions(flags: ImportFlags): Promise<ImportOptions> {
  const options: ImportOptions = { onProgress: importProgressPrinter() };
  if (flags.map) {
    try {
      options.map = parseFieldMap(flags.map);
    } catch (error) {
      throw new CliError((error as Error).message);
    }
  }
  if (flags.maxLength !== undefined && !flags.model) throw new CliError('--max-length counts tokens: give the model with --model <hf-folder>');
  if (flags.model) {
    options.tokenizer = await loadTrainingTokenizer(flags.model).catch((error: Error) => {
      throw new CliError(error.message);
    });
    options.maxLength = flags.maxLength;
  }
  return options;
}

export function describeReport(report: TraceReport): string {
  const n = (v: number) => v.toLocaleString('en-US');
  const lines = [
    `${n(report.files)} files, ${n(report.records)} records: ${n(report.accepted)} accepted, ${n(report.repaired)} repaired, ` +
      `${n(report.duplicates)} duplicates, ${n(report.skipped)} skipped → ${n(report.examples)} training examples`,
  ];
  const formats = Object.entries(report.byFormat);
  if (formats.length) lines.push(`Formats: ${formats.map(([f, c]) => `${f} ${n(c)}`).join(', ')}`);
  for (const [name, count] of Object.entries(report.repairs)) lines.push(`Repaired: ${name} (${n(count)})`);
  for (const [reason, count] of Object.entries(report.skipReasons)) lines.push(`Skipped: ${reason} (${n(count)})`);
  const t = report.tokens;
  if (report.examples) {
    lines.push(`Length (${t.unit}): median ${n(t.p50)}, p95 ${n(t.p95)}, max ${n(t.max)}` +
      (t.maxLength !== undefined ? `; ${n(t.overMaxLength)} longer than ${n(t.maxLength)} (${n(t.cut)} ${t.unit} would be cut)` : ''));
  }
  if (report.problems.length) {
    lines.push('Problems:');
    for (const p of report.problems.slice(0, 50)) {
      const at = p.line !== undefined ? `:${p.line}` : p.row !== undefined ? ` row ${p.row}` : '';
      lines.push(`  ${p.file}${at}: ${p.reason}`);
    }
    const more = report.problems.length - 50 + report.problemsOmitted;
    if (more > 0) lines.push(`  … and ${n(more)} more (--json lists the first ${n(report.problems.length)})`);
  }
  return `${lines.join('\n')}\n`;
}

async function checkAction(folder: string, flags: CheckFlags): Promise<void> {
  const options = await importOptions(flags);
  const report = await checkTraces([folder], options).catch((error: Error) => {
    throw new CliError(error.message);
  });
  process.stdout.write(flags.json ? `${JSON.stringify(report, null, 2)}\n` : describeReport(report));
  if (report.examples === 0) process.exitCode = 1;
}

async function convertAction(folder: string, flags: ConvertFlags): Promise<void> {
  const options = await importOptions(flags);
  const report = await importTraces([folder], flags.out, options).catch((error: Error) => {
    throw new CliError(error.message);
  });
  process.stdout.write(describeReport(report));
  if (report.examples === 0) throw new CliError(`no usable traces in ${folder}: nothing written`);
  process.stdout.write(`Wrote ${report.examples.toLocaleString('en-US')} traces to ${flags.out}\n`);
}

/** The fine-tune data check's own length limit: a length the app would refuse is refused here too. */
const MaxLength = finetuneApi['finetune.checkData'].input.shape.maxLength;

export const tracesCommand: CliCommand = (program: Command) => {
  const traces = program.command('traces').description('Reasoning-trace folders: check them, convert them to training JSONL');
  const shared = (cmd: Command) =>
    cmd
      .option('--map <fields>', 'which fields hold the trace, e.g. question=prompt,reasoning=reason,answer=gen_ans')
      .option('--model <hf-folder>', "count lengths in this model's tokens (its tokenizer.json)")
      .option('--max-length <tokens>', 'report how many examples are longer (needs --model)', numberOption('--max-length', MaxLength));
  shared(traces.command('check <folder>').description('Read every trace file (recursively) and report counts, formats, problems and lengths'))
    .option('--json', 'print the report as JSON')
    .action(checkAction);
  shared(traces.command('convert <folder>').description('Write the canonical {question, reasoning, answer, source} JSONL for train run'))
    .requiredOption('--out <file.jsonl>', 'output file')
    .action(convertAction);
};
