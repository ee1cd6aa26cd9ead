/**
 * Picking files and folders where the user would otherwise type a path. The desktop app asks Electron's native dialog
 * (a typed preload call, `pickPath`, outside the request API); headless mode browses the server's disk with
 * `files.browse`, limited to the user's home and the data folder. No Node or DOM imports here.
 */
import { z } from 'zod';
import { AbsolutePath } from './convert';

export const PickPathInput = z
  .object({
    kind: z.enum(['folder', 'file']),
    title: z.string().max(200).optional(),
    /** Where the dialog opens. */
    defaultPath: z.string().max(4096).optional(),
  })
  .strict();
export type PickPathInput = z.infer<typeof PickPathInput>;

/** `path` is null when the user cancelled. */
export const PickPathResult = z.object({ path: z.string().nullable() });
export type PickPathResult = z.infer<typeof PickPathResult>;

export const BrowseEntry = z.object({
  name: z.string(),
  /** Absolute, symlinks resolved. */
  path: z.string(),
  kind: z.enum(['folder', 'file']),
  sizeBytes: z.number().optional(),
});
export type BrowseEntry = z.infer<typeof BrowseEntry>;

export const BrowseRoot = z.object({ label: z.string(), path: z.string() });

export const BrowseResult = z.object({
  /** The folder listed (absolute, symlinks resolved); absent for the list of roots. */
  path: z.string().optional(),
  /** Its parent when that is still inside a root. */
  parent: z.string().optional(),
  roots: z.array(BrowseRoot),
  entries: z.array(BrowseEntry),
  /** More entries than the listing holds were left out. */
  truncated: z.boolean(),
});
export type BrowseResult = z.infer<typeof BrowseResult>;

export const filesApi = {
  /** A folder's entries (folders first), only inside the user's home or the data folder; no path: the roots. */
  'files.browse': {
    input: z.object({ path: AbsolutePath.optional(), showHidden: z.boolean().optional() }).strict(),
    output: BrowseResult,
  },
} as const;
