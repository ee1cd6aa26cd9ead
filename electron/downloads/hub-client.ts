/**
 * The hub through the official client (@huggingface/hub): the commit a revision points to, the file listing with
 * sizes and checksums, and a byte stream of one file from an offset. Every request goes through `hubFetch`, which
 * carries the abort signal and refuses to run in Offline mode.
 *
 * Xet-backed files (the listing carries a `xetHash`): the client would return a XetBlob that rebuilds the file from
 * chunks over the Xet CAS protocol. Distillery asks for `xet: false` instead, so those files take the same path as
 * every LFS file: the resolve URL redirects to a storage URL that serves plain bytes with HTTP Range (the hub bridges
 * Xet storage for such clients), and the listing's sha256 verifies the result. Resume and verification work the same.
 */
import { downloadFile, HubApiError, listFiles, modelInfo } from '@huggingface/hub';
import { DownloadError, tokenHelp } from './errors';
import { COMMIT_HASH } from './hub-cache';
import { checkListingPath } from './safe-path';

export const DEFAULT_HUB_URL = 'https://huggingface.co';

export interface HubOptions {
  /** HF_ENDPOINT for mirrors; default https://huggingface.co. */
  hubUrl: string;
  /** For gated repos (HF_TOKEN headless, the keychain in the app). */
  accessToken?: string;
  /** Defaults to the global fetch. */
  fetch?: typeof fetch;
  /** Offline mode: no request leaves the machine. */
  offline?: boolean;
}

export function hubOptionsFromEnv(env: NodeJS.ProcessEnv = process.env): HubOptions {
  const options: HubOptions = { hubUrl: (env.HF_ENDPOINT || DEFAULT_HUB_URL).replace(/\/+$/, '') };
  const token = env.HF_TOKEN || env.HUGGING_FACE_HUB_TOKEN;
  if (token) options.accessToken = token.trim();
  return options;
}

export interface RemoteFile {
  path: string;
  size: number;
  /** sha256 of the content, for LFS (and Xet) files: the value verified after the last byte. */
  sha256?: string;
  /** The git blob id: verifies small files that are not in LFS. */
  gitOid?: string;
  xetHash?: string;
  /** Name of the blob in the cache: the sha256 for LFS files, the git oid otherwise (as huggingface_hub names them). */
  etag: string;
}

export function checkToken(token: string | undefined): void {
  if (token !== undefined && !/^hf_[A-Za-z0-9]{8,}$/.test(token)) {
    throw new DownloadError('bad_token', 'That is not a Hugging Face token: tokens start with "hf_" (create one at https://huggingface.co/settings/tokens).');
  }
}

/** fetch with the signal attached and Offline mode enforced. */
export function hubFetch(options: HubOptions, signal?: AbortSignal): typeof fetch {
  const base = options.fetch ?? fetch;
  return (input, init) => {
    if (options.offline) {
      return Promise.reject(new DownloadError('offline', 'Offline mode is on: turn it off in Settings to download models.'));
    }
    return base(input, { ...init, signal: signal ?? init?.signal });
  };
}

function credentials(options: HubOptions): { accessToken?: string } {
  checkToken(options.accessToken);
  return options.accessToken ? { accessToken: options.accessToken } : {};
}

/** The commit sha `revision` (branch, tag or sha) points to now. */
export async function resolveCommit(repo: string, revision: string, options: HubOptions, signal?: AbortSignal): Promise<string> {
  try {
    const info = await modelInfo({ name: repo, revision, additionalFields: ['sha'], hubUrl: options.hubUrl, fetch: hubFetch(options, signal), ...credentials(options) });
    const sha = (info as { sha?: unknown }).sha;
    if (typeof sha !== 'string' || !COMMIT_HASH.test(sha)) throw new DownloadError('server', `The hub did not say which commit ${repo}@${revision} is; try again later.`);
    return sha;
  } catch (error) {
    throw hubError(error, repo, `revision ${revision}`, options);
  }
}

/** Every file of the repo at `commit`, with sizes and checksums. Any path that could escape the folder is refused. */
export async function listRepoFiles(repo: string, commit: string, options: HubOptions, signal?: AbortSignal): Promise<RemoteFile[]> {
  const files: RemoteFile[] = [];
  try {
    for await (const entry of listFiles({ repo, revision: commit, recursive: true, hubUrl: options.hubUrl, fetch: hubFetch(options, signal), ...credentials(options) })) {
      if (entry.type !== 'file') continue;
      checkListingPath(entry.path);
      const sha256 = entry.lfs?.oid;
      const etag = sha256 ?? entry.oid;
      if (!etag || !/^[0-9a-f]{40,64}$/.test(etag)) throw new DownloadError('server', `The hub listing gives no checksum for ${entry.path}; it cannot be verified.`);
      files.push({ path: entry.path, size: entry.size, etag, ...(sha256 ? { sha256 } : {}), ...(entry.oid ? { gitOid: entry.oid } : {}), ...(entry.xetHash ? { xetHash: entry.xetHash } : {}) });
    }
  } catch (error) {
    throw hubError(error, repo, 'file listing', options);
  }
  return files;
}

/** The bytes of `file` from `start` to its end (HTTP Range when start > 0). */
export async function openFileStream(repo: string, commit: string, file: RemoteFile, start: number, options: HubOptions, signal?: AbortSignal): Promise<ReadableStream<Uint8Array>> {
  let blob: Blob | null;
  try {
    blob = await downloadFile({ repo, path: file.path, revision: commit, hubUrl: options.hubUrl, fetch: hubFetch(options, signal), xet: false, ...credentials(options) });
  } catch (error) {
    throw hubError(error, repo, file.path, options);
  }
  if (!blob) throw new DownloadError('not_found', `${repo} has no file ${file.path} at ${commit.slice(0, 8)}.`);
  return (start > 0 ? blob.slice(start) : blob).stream() as ReadableStream<Uint8Array>;
}

/** The client's errors in words a user can act on. */
export function hubError(error: unknown, repo: string, what: string, options: HubOptions): Error {
  if (error instanceof DownloadError) return error;
  if (error instanceof Error && error.name === 'AbortError') return new DownloadError('stopped', 'Stopped.');
  const status = error instanceof HubApiError ? error.statusCode : statusFromText(error);
  if (status === 401 || status === 403) {
    const why = options.accessToken
      ? `The token you gave cannot read ${repo} (status ${status}): make sure you accepted its terms on the hub and that the token has read access.`
      : `${repo} is gated or private: it needs a Hugging Face token.`;
    return new DownloadError('gated', `${why} ${tokenHelp(repo)}`);
  }
  if (status === 404) return new DownloadError('not_found', `${repo}: ${what} was not found on ${options.hubUrl} (status 404). Check the repository id and revision.`);
  if (status !== undefined && status >= 500) return new DownloadError('server', `${options.hubUrl} answered ${status} for ${what} of ${repo}; try again later (what is downloaded is kept).`);
  const message = error instanceof Error ? error.message : String(error);
  return new DownloadError('network', `Cannot reach ${options.hubUrl} for ${what} of ${repo}: ${message}. Check the connection (or HF_ENDPOINT) and try again; what is downloaded is kept.`);
}

function statusFromText(error: unknown): number | undefined {
  const match = /status (\d{3})/.exec(error instanceof Error ? error.message : String(error));
  return match ? Number(match[1]) : undefined;
}
