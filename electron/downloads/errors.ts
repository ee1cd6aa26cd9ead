/**
 * Download failures a user can act on. `code` lets the job runner and the UI choose what to show; every message
 * says what happened and what to do.
 */
export type DownloadErrorCode =
  | 'gated' // 401/403: the repository needs a token (or a better one)
  | 'not_found' // 404: no such repository, revision or file
  | 'unsafe_path' // the hub listing names a path that would land outside the snapshot folder
  | 'checksum' // the bytes did not match the listing's sha256, twice
  | 'disk_full' // not enough free disk (before starting, or while writing): resumable
  | 'network' // the hub could not be reached after several tries: resumable
  | 'server' // the hub answered 5xx after several tries: resumable
  | 'offline' // Offline mode is on
  | 'bad_token' // a token that cannot be a Hugging Face token
  | 'busy' // another process is downloading the same repository into the same cache
  | 'stopped'; // paused or cancelled through the signal

export class DownloadError extends Error {
  constructor(
    readonly code: DownloadErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'DownloadError';
  }

  /** Running the download again continues where this one stopped. */
  get resumable(): boolean {
    return this.code === 'disk_full' || this.code === 'network' || this.code === 'server' || this.code === 'stopped';
  }

  /** The job runner leaves a job that stopped this way paused (resumable) rather than failed. */
  get pausesJob(): boolean {
    return this.code === 'disk_full' || this.code === 'network' || this.code === 'server';
  }
}

export function tokenHelp(repo: string): string {
  return (
    `Accept its terms on https://huggingface.co/${repo}, create a read token at https://huggingface.co/settings/tokens, ` +
    'then add it in Settings › Hugging Face token (desktop app) or set HF_TOKEN=hf_… before `npx distillery pull` / `serve`.'
  );
}
