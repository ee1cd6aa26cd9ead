import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cachedFolder, FIXTURE_ROOT } from './fixtures';

const kind = `cachetest${process.pid}`;
const hoursAgo = (dir: string) => fs.utimesSync(dir, new Date(Date.now() - 3_600_000), new Date(Date.now() - 3_600_000));
const write = (text: string) => (dir: string) => fs.writeFileSync(path.join(dir, 'value.txt'), text);

afterAll(() => {
  for (const name of fs.readdirSync(FIXTURE_ROOT)) if (name.startsWith(kind)) fs.rmSync(path.join(FIXTURE_ROOT, name), { recursive: true, force: true });
});

describe('fixture cache', () => {
  it('builds a folder once per key and returns it after', async () => {
    let builds = 0;
    const build = (dir: string) => { builds += 1; write('one')(dir); };
    const first = await cachedFolder(kind, { key: 1 }, [], build);
    expect(await cachedFolder(kind, { key: 1 }, [], build)).toBe(first);
    expect(builds).toBe(1);
    expect(fs.readFileSync(path.join(first, 'value.txt'), 'utf8')).toBe('one');
  });

  it('keeps an old folder of the same sources and another key (a parallel worker may be reading it); removes old ones of other sources', async () => {
    const sameSourcesOtherKey = await cachedFolder(kind, { key: 'old' }, [], write('old'));
    hoursAgo(sameSourcesOtherKey);
    const otherSources = path.join(FIXTURE_ROOT, `${kind}-aaaaaaaaaaaa-${'b'.repeat(16)}`);
    const olderNaming = path.join(FIXTURE_ROOT, `${kind}-${'c'.repeat(16)}`);
    const otherSourcesRecent = path.join(FIXTURE_ROOT, `${kind}-dddddddddddd-${'e'.repeat(16)}`);
    for (const dir of [otherSources, olderNaming, otherSourcesRecent]) fs.mkdirSync(dir, { recursive: true });
    hoursAgo(otherSources);
    hoursAgo(olderNaming);

    await cachedFolder(kind, { key: 'new' }, [], write('new'));

    expect(fs.readFileSync(path.join(sameSourcesOtherKey, 'value.txt'), 'utf8')).toBe('old');
    expect(fs.existsSync(otherSources)).toBe(false);
    expect(fs.existsSync(olderNaming)).toBe(false);
    expect(fs.existsSync(otherSourcesRecent)).toBe(true);
  });
});
