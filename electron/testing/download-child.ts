/**
 * Child process for the kill test: downloads argv[2] (repo) from the hub at argv[3] into the cache at argv[4], one
 * file at a time, printing "done <path>" per verified file. The test kills it (SIGKILL) mid-file.
 */
import { downloadRepo } from '../downloads/downloader';

const [repo, hubUrl, cacheDir] = process.argv.slice(2);
await downloadRepo({
  repo,
  cacheDir,
  hub: { hubUrl },
  concurrency: 1,
  minFreeBytes: 0,
  onFileDone: (file) => process.stdout.write(`done ${file.path}\n`),
});
process.stdout.write('finished\n');
