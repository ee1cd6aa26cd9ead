/**
 * The catalog of R1 distills (resources/catalog.json: data, not code), validated on load. Each entry keeps a copy of
 * its repo's config.json so sizes and memory can be computed offline (./sizes.ts).
 */
import { z } from 'zod';
import catalogJson from '../../resources/catalog.json';

export const CatalogSourceSchema = z.object({
  kind: z.enum(['safetensors', 'onnx']),
  repo: z.string().regex(/^[\w.-]+\/[\w.-]+$/),
  note: z.string(),
});

export const CatalogEntrySchema = z.object({
  id: z.string(),
  name: z.string(),
  family: z.string(),
  sources: z.array(CatalogSourceSchema).min(1),
  config: z.record(z.string(), z.unknown()),
  contextLength: z.number().int().positive(),
  defaultContext: z.number().int().positive(),
  license: z.string(),
  goodFor: z.string(),
  recommended: z.object({ temperature: z.number(), topP: z.number(), maxTokens: z.number().int(), systemPrompt: z.boolean(), note: z.string() }),
  scores: z.record(z.string(), z.number()).optional(),
});
export type CatalogEntry = z.infer<typeof CatalogEntrySchema>;

const CatalogSchema = z.object({ version: z.literal(1), entries: z.array(CatalogEntrySchema).min(1) });

let cached: CatalogEntry[] | undefined;

export function catalogEntries(): CatalogEntry[] {
  cached ??= CatalogSchema.parse(catalogJson).entries;
  return cached;
}

/** The entry one of whose sources is `repo` (case-insensitive, as the hub treats ids). */
export function findCatalogEntry(repo: string): CatalogEntry | undefined {
  const wanted = repo.toLowerCase();
  return catalogEntries().find((e) => e.sources.some((s) => s.repo.toLowerCase() === wanted));
}

/** Entries matching every word of `query` in their name, family, repos or "good for" line. */
export function searchCatalog(query: string): CatalogEntry[] {
  const words = query.toLowerCase().split(/\s+/).filter(Boolean);
  if (words.length === 0) return catalogEntries();
  return catalogEntries().filter((e) => {
    const text = [e.id, e.name, e.family, e.goodFor, ...e.sources.map((s) => s.repo)].join(' ').toLowerCase();
    return words.every((w) => text.includes(w));
  });
}
