// Folder paths typed by a user are refused unless absolute, in models.add as in jobs.startConvert: a relative path
// would resolve against the server's working directory, not where the user thinks.
import { describe, expect, it } from 'vitest';
import { api } from './api';

describe('typed folder paths', () => {
  it('models.add refuses a relative path with an example of an absolute one', () => {
    for (const path of ['models/qwen', './qwen', 'qwen', '~/qwen']) {
      const parsed = api['models.add'].input.safeParse({ path });
      expect(parsed.success).toBe(false);
      expect(parsed.error?.issues[0]?.message).toMatch(/must be an absolute path, e\.g\. \/home\/me/);
    }
  });

  it('models.add takes POSIX, Windows and UNC absolute paths', () => {
    for (const path of ['/home/me/qwen', 'C:\\models\\qwen', 'D:/models/qwen', '\\\\server\\share\\qwen']) {
      expect(api['models.add'].input.safeParse({ path }).success).toBe(true);
    }
  });
});
