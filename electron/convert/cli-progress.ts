// Conversion progress for a terminal: a bar rewritten in place on a TTY, one line per 10 % otherwise (logs, CI).
import type { ConvertProgress, ProgressListener } from './progress';
import { formatBytes } from '../contract/units';
import { formatDuration } from './progress';

const PHASE_LABEL: Record<ConvertProgress['phase'], string> = { checksum: 'Checksumming', convert: 'Converting', finish: 'Finishing' };

export function describeProgress(p: ConvertProgress): string {
  const percent = Math.floor(p.fraction * 100);
  const parts = [`${PHASE_LABEL[p.phase]} ${String(percent).padStart(3)}%`];
  if (p.tensorsTotal > 0) parts.push(`${p.tensorsDone}/${p.tensorsTotal} ${p.phase === 'checksum' ? 'files' : 'tensors'}`);
  if (p.bytesTotal > 0) parts.push(`${formatBytes(p.bytesDone)}/${formatBytes(p.bytesTotal)}`);
  if (p.etaMs !== undefined && p.fraction < 1) parts.push(`ETA ${formatDuration(p.etaMs)}`);
  return parts.join('  ');
}

function bar(fraction: number, width = 24): string {
  const filled = Math.round(fraction * width);
  return `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}]`;
}

export function convertProgressPrinter(stream: NodeJS.WriteStream = process.stderr): ProgressListener {
  let lastKey = '';
  let lastPhase: ConvertProgress['phase'] | undefined;
  return (p) => {
    if (p.phase === 'finish') return;
    if (stream.isTTY) {
      if (lastPhase && lastPhase !== p.phase) stream.write('\n');
      lastPhase = p.phase;
      stream.write(`\r${bar(p.fraction)} ${describeProgress(p)}\x1b[K`);
      if (p.phase === 'convert' && p.fraction >= 1) stream.write('\n');
      return;
    }
    const key = `${p.phase}:${Math.floor(p.fraction * 10)}`;
    if (key === lastKey) return;
    lastKey = key;
    stream.write(`${describeProgress(p)}\n`);
  };
}
