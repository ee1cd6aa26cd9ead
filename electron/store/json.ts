/** JSON columns: written with JSON.stringify, read back tolerantly (a damaged value reads as undefined, never throws). */
export function toJson(value: unknown): string | null {
  return value === undefined ? null : JSON.stringify(value);
}

export function fromJson<T = unknown>(text: string | null | undefined): T | undefined {
  if (text === null || text === undefined) return undefined;
  try {
    return JSON.parse(text) as T;
  } catch {
    return undefined;
  }
}

/** Drops undefined fields, so optional properties stay absent rather than present-but-undefined. */
export function compact<T extends object>(value: T): T {
  for (const key of Object.keys(value) as Array<keyof T>) {
    if (value[key] === undefined || value[key] === null) delete value[key];
  }
  return value;
}
