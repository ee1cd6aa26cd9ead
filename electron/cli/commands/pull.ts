/**
 * `distillery pull <repo> [--dtype q4] [--revision R] [--no-convert]`: the app's download job (and its follow-on
 * conversion) from a terminal, with a progress bar. Ctrl+C pauses; running the same command again resumes the paused
 * (or killed) download from the bytes on disk. HF_ENDPOINT picks a mirror, HF_TOKEN opens gated repos.
 */
import { CONVERT_DTYPES, type ConvertDtype } from '../../contract/convert';
import type { Job } from '../../contract/api';
import { StartDownloadInput } from '../../contract/downloads';
import { downloadProgressPrinter } from '../../downloads/cli-progress';
import type { Services } from '../../services';
import { startBackend } from '../backend';
import { CliError, type CliCommand } from '../command';
import { choiceOption } from '../options';

interface PullOptions {
  dtype?: ConvertDtype;
  revision: string;
  convert: boolean;
}

/** A paused or interrupted download of the same repo and revision: running pull again continues it. */
function stoppedDownload(services: Services, repo: string, revision: string): string | undefined {
  return services.store.jobs
    .list()
    .find((r) => r.kind === 'download' && (r.state === 'paused' || r.state === 'interrupted') && (r.params as { repo?: string; revision?: string })?.repo === repo && (r.params as { revision?: string }).revision === revision)?.id;
}

function waitForEnd(services: Services, jobId: string, onUpdate: (job: Job) => void): Promise<Job> {
  return new Promise((resolve) => {
    const check = (job: Job) => {
      if (job.id !== jobId) return;
      onUpdate(job);
      if (!['running', 'queued'].includes(job.state)) {
        off();
        resolve(job);
      }
    };
    const off = services.events.on('job.update', check);
    const now = services.store.jobs.get(jobId);
    if (now && !['running', 'queued'].includes(now.state)) {
      off();
      resolve({ ...now, kind: 'download', pausable: false, resumable: false } as Job);
    }
  });
}

async function pull(repo: string, options: PullOptions): Promise<void> {
  const backend = await startBackend({ waitForEngine: options.convert });
  const { services } = backend;
  const printer = downloadProgressPrinter();
  let current: string | undefined;
  const onSigint = () => {
    if (current) void services.call('jobs.pause', { jobId: current }).catch(() => undefined);
  };
  process.on('SIGINT', onSigint);
  const offProgress = services.events.on('download.progress', (p) => printer.update(p));
  try {
    const stopped = stoppedDownload(services, repo, options.revision);
    if (stopped) printer.line(`Resuming the download of ${repo} from the bytes already on disk.`);
    current = stopped ? (await services.call('jobs.resume', { jobId: stopped })).id : (await services.call('downloads.start', { repo, revision: options.revision, convert: options.convert, ...(options.dtype ? { dtype: options.dtype } : {}) })).jobId;
    const download = await waitForEnd(services, current, () => undefined);
    printer.line(download.message ?? download.state);
    if (download.state === 'paused') throw new CliError(`Paused. Run \`distillery pull ${repo}\` again to continue where it stopped.`);
    if (download.state !== 'succeeded') throw new CliError(download.message ?? `The download ${download.state}.`);
    const convertJobId = (services.store.jobs.get(current)?.result as { convertJobId?: string } | undefined)?.convertJobId;
    if (!convertJobId) return;
    current = convertJobId;
    let lastDecile = -1;
    const converted = await waitForEnd(services, convertJobId, (job) => {
      const decile = Math.floor(job.progress * 10);
      if (decile !== lastDecile && job.message) printer.line(`${Math.round(job.progress * 100)}%  ${job.message}`);
      lastDecile = decile;
    });
    printer.line(converted.message ?? converted.state);
    if (converted.state !== 'succeeded') throw new CliError(converted.message ?? `The conversion ${converted.state}.`);
  } finally {
    process.off('SIGINT', onSigint);
    offProgress();
    await backend.close();
  }
}

export const pullCommand: CliCommand = (program) => {
  program
    .command('pull <repo>')
    .description('Download a model from the Hugging Face hub (resumable: run it again after Ctrl+C or a failure), verify it, convert it and add it to your models')
    .option('--dtype <dtype>', `precision: ${CONVERT_DTYPES.join(', ')} (default: what \`distillery fit\` recommends)`, choiceOption('--dtype', StartDownloadInput.shape.dtype))
    .option('--revision <rev>', 'branch, tag or commit', 'main')
    .option('--no-convert', 'only download the checkpoint into the Hugging Face cache')
    .action((repo: string, options: PullOptions) => pull(repo, options));
};
