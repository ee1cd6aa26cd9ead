// The headless folder browser: only inside its roots, whatever `..` or a symlink says.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { browse, browseRoots, MAX_ENTRIES } from './files';

let base: string;
let home: string;
let data: string;
let outside: string;
let roots: ReturnType<typeof browseRoots>;

beforeAll(() => {
  base = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'distillery-browse-')));
  home = path.join(base, 'home');
  data = path.join(base, 'data');
  outside = path.join(base, 'outside');
  for (const dir of [home, data, outside, path.join(home, 'models', 'qwen'), path.join(home, '.cache')]) fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(home, 'models', 'qwen', 'config.json'), '{}');
  fs.writeFileSync(path.join(outside, 'secret.txt'), 'no');
  fs.symlinkSync(outside, path.join(home, 'escape')); // a link out of the roots
  fs.symlinkSync(path.join(data), path.join(home, 'to-data')); // a link into another root
  fs.symlinkSync(path.join(base, 'missing'), path.join(home, 'dangling'));
  roots = browseRoots([
    { label: 'Home', path: home },
    { label: 'Distillery data', path: data },
    { label: 'Gone', path: path.join(base, 'nope') },
  ]);
});

afterAll(() => fs.rmSync(base, { recursive: true, force: true }));

describe('files.browse', () => {
  it('lists the roots that exist, then folders first with links resolved inside the roots', () => {
    expect(browse(roots, undefined).entries.map((e) => e.name)).toEqual(['Home', 'Distillery data']);
    const listing = browse(roots, home);
    expect(listing.entries.map((e) => [e.name, e.kind, e.path])).toEqual([
      ['models', 'folder', path.join(home, 'models')],
      ['to-data', 'folder', data],
    ]);
    expect(listing.parent).toBeUndefined(); // the root's parent is outside
    expect(browse(roots, path.join(home, 'models', 'qwen')).entries).toEqual([
      { name: 'config.json', path: path.join(home, 'models', 'qwen', 'config.json'), kind: 'file', sizeBytes: 2 },
    ]);
    expect(browse(roots, path.join(home, 'models')).parent).toBe(home);
    expect(browse(roots, home, true).entries.map((e) => e.name)).toContain('.cache');
  });

  it('refuses anything outside the roots: plain, through .., or through a symlink', () => {
    expect(() => browse(roots, outside)).toThrow(/Only folders inside/);
    expect(() => browse(roots, path.join(home, '..', 'outside'))).toThrow(/Only folders inside/);
    expect(() => browse(roots, path.join(home, 'escape'))).toThrow(expect.objectContaining({ code: 'forbidden' }));
    expect(() => browse(roots, '/')).toThrow(/Only folders inside/);
    expect(() => browse(roots, path.join(home, 'nothing-here'))).toThrow(expect.objectContaining({ code: 'not_found', message: expect.stringMatching(/does not exist/) }));
    expect(() => browse(roots, path.join(home, 'models', 'qwen', 'config.json'))).toThrow(/is a file, not a folder/);
  });

  it('caps a huge folder and says so', () => {
    const big = path.join(data, 'big');
    fs.mkdirSync(big);
    for (let i = 0; i <= MAX_ENTRIES; i++) fs.writeFileSync(path.join(big, `f${i}`), '');
    const listing = browse(roots, big);
    expect(listing.entries).toHaveLength(MAX_ENTRIES);
    expect(listing.truncated).toBe(true);
  });
});
