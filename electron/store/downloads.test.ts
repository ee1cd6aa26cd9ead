import { afterEach, describe, expect, it } from 'vitest';
import { downloadsRepository } from './downloads';
import { openDatabase, type Store } from './index';

const opened: Store[] = [];
afterEach(() => opened.splice(0).forEach((s) => s.close()));

describe('downloads repository', () => {
  it('records a download, the blobs Distillery wrote (each once) and its model, whose removal clears the link', () => {
    const store = openDatabase(':memory:');
    opened.push(store);
    const repo = downloadsRepository(store.db);
    const files = [{ path: 'config.json', etag: 'a'.repeat(40), size: 10 }];
    repo.save({ id: 'job1', repo: 'org/name', revision: 'main', cacheDir: '/c', files });
    repo.save({ id: 'job1', repo: 'org/name', revision: 'main', commit: 'c'.repeat(40), cacheDir: '/c', files }); // a resume
    repo.addWritten('job1', 'a'.repeat(40));
    repo.addWritten('job1', 'a'.repeat(40));
    const model = store.models.add({ name: 'm', path: '/m', arch: 'qwen2', dtype: 'q4', sizeBytes: 1, source: 'converted' });
    repo.setModel('job1', model.id);
    expect(repo.get('job1')).toMatchObject({ commit: 'c'.repeat(40), files, written: ['a'.repeat(40)], modelId: model.id });
    expect(repo.byModel(model.id).map((d) => d.id)).toEqual(['job1']);
    store.models.remove(model.id);
    expect(repo.get('job1')!.modelId).toBeUndefined();
    expect(repo.list()).toHaveLength(1);
    expect(repo.remove('job1')).toBe(true);
  });
});
