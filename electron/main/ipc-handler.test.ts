import { describe, expect, it, vi } from 'vitest';
import { handleCall, handlePickPath } from './ipc-handler';

const trusted = (url: string) => url === 'file:///app/index.html';
const appFrame = { url: 'file:///app/index.html', isMainFrame: true };

describe('handleCall', () => {
  it('dispatches a known method from the app window and wraps the result', async () => {
    const dispatch = vi.fn(async () => ({ version: '1' }));
    await expect(handleCall(dispatch, trusted, appFrame, 'app.info', {})).resolves.toEqual({ ok: true, result: { version: '1' } });
    expect(dispatch).toHaveBeenCalledWith('app.info', {});
  });

  it('refuses sub-frames, foreign pages and gone frames without dispatching', async () => {
    const dispatch = vi.fn(async () => 'never');
    for (const sender of [
      { url: 'file:///app/index.html', isMainFrame: false },
      { url: 'https://evil.example/', isMainFrame: true },
      { url: null, isMainFrame: true },
    ]) {
      await expect(handleCall(dispatch, trusted, sender, 'app.info', {})).resolves.toMatchObject({ ok: false, error: { code: 'forbidden' } });
    }
    expect(dispatch).not.toHaveBeenCalled();
  });

  it('refuses unknown methods, including prototype names', async () => {
    const dispatch = vi.fn(async () => 'never');
    for (const method of ['fs.readFile', 'constructor', '__proto__', 42]) {
      await expect(handleCall(dispatch, trusted, appFrame, method, {})).resolves.toMatchObject({ ok: false, error: { code: 'unknown_method' } });
    }
    expect(dispatch).not.toHaveBeenCalled();
  });

  it('passes the code and message of a failed call through as data', async () => {
    const failing = async () => {
      throw Object.assign(new Error('Invalid input for jobs.cancel: jobId: Too small'), { code: 'bad_request' });
    };
    await expect(handleCall(failing, trusted, appFrame, 'jobs.cancel', { jobId: '' })).resolves.toEqual({
      ok: false,
      error: { code: 'bad_request', message: 'Invalid input for jobs.cancel: jobId: Too small' },
    });
    const crashing = async () => {
      throw 'boom';
    };
    await expect(handleCall(crashing, trusted, appFrame, 'app.info', {})).resolves.toMatchObject({ ok: false, error: { code: 'internal' } });
  });
});

describe('handlePickPath', () => {
  const trusted = (url: string) => url.startsWith('app://');
  const app = { url: 'app://distillery/index.html', isMainFrame: true };

  it('opens the dialog for the app window only, with a checked request', async () => {
    const show = vi.fn(async () => ({ path: '/home/me/qwen' }));
    await expect(handlePickPath(show, trusted, app, { kind: 'folder', title: 'Model folder' })).resolves.toEqual({ ok: true, result: { path: '/home/me/qwen' } });
    expect(show).toHaveBeenCalledWith({ kind: 'folder', title: 'Model folder' });
    await expect(handlePickPath(show, trusted, { url: 'https://evil.example/', isMainFrame: true }, { kind: 'file' })).resolves.toMatchObject({ ok: false, error: { code: 'forbidden' } });
    await expect(handlePickPath(show, trusted, { ...app, isMainFrame: false }, { kind: 'file' })).resolves.toMatchObject({ ok: false, error: { code: 'forbidden' } });
    await expect(handlePickPath(show, trusted, app, { kind: 'folder', extra: 1 })).resolves.toMatchObject({ ok: false, error: { code: 'bad_request' } });
    expect(show).toHaveBeenCalledTimes(1);
  });
});
