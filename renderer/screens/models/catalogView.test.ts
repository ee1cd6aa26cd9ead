import { describe, expect, it } from 'vitest';
import type { Job } from '../../../electron/contract/api';
import type { DownloadProgress } from '../../../electron/contract/downloads';
import { downloadJobs, fileLine, looksLikeRepoId, speedLine } from './catalogView';

const job = (p: Partial<Job>): Job => ({ id: 'j', kind: 'download', state: 'running', title: 't', progress: 0, pausable: true, resumable: false, createdAt: 1, updatedAt: 1, ...p });

describe('catalog view', () => {
  it('tells a repo id from search words, refusing ".."', () => {
    expect(looksLikeRepoId('deepseek-ai/DeepSeek-R1-Distill-Qwen-7B')).toBe(true);
    expect(looksLikeRepoId(' Qwen/Qwen2.5-0.5B ')).toBe(true);
    expect(looksLikeRepoId('llama 8b')).toBe(false);
    expect(looksLikeRepoId('a/..')).toBe(false);
    expect(looksLikeRepoId('org/name/extra')).toBe(false);
  });

  it('words per-file progress and the overall speed', () => {
    expect(fileLine({ path: 'model.safetensors', size: 2048, done: 1024, state: 'downloading' })).toBe('model.safetensors · 1.0 KiB of 2.0 KiB');
    expect(fileLine({ path: 'config.json', size: 10, done: 10, state: 'cached' })).toBe('config.json · already on disk');
    const p: DownloadProgress = { jobId: 'j', repo: 'r', files: [], bytesDone: 1024 ** 3, bytesTotal: 2 * 1024 ** 3, bytesPerSecond: 10 * 1024 ** 2, etaSeconds: 102.4 };
    expect(speedLine(p)).toBe('1.0 GiB of 2.0 GiB · 10.0 MiB/s · about 1 min 42 s left');
  });

  it('shows downloads running, resumable or started here, and the conversions they started', () => {
    const jobs = [
      job({ id: 'a' }),
      job({ id: 'b', state: 'paused', pausable: false, resumable: true }),
      job({ id: 'c', state: 'succeeded', pausable: false }),
      job({ id: 'd', kind: 'convert' }),
      job({ id: 'e', kind: 'convert', state: 'succeeded' }),
      job({ id: 'f', kind: 'diagnostics' }),
    ];
    expect(downloadJobs(jobs, new Set(['e'])).map((j) => j.id)).toEqual(['a', 'b', 'e']);
  });
});
