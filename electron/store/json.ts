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

type CamelCase<S extends string> = S extends `${infer Head}_${infer Tail}` ? `${Head}${Capitalize<CamelCase<Tail>>}` : S;

/** A row's columns as a record's fields: snake_case names in camelCase, a NULL column absent. */
export type FromRow<Row> = {
  [K in keyof Row as CamelCase<K & string>]: null extends Row[K] ? Exclude<Row[K], null> | undefined : Row[K];
};

/**
 * The record of a row whose columns are its fields (model_id → modelId, NULL → absent), so no table maps by hand.
 * Every column read becomes a field: a table that gains a column the record does not have names its columns.
 */
export function fromRow<Row extends object>(row: Row): FromRow<Row> {
  const record: Record<string, unknown> = {};
  for (const [column, value] of Object.entries(row)) {
    if (value !== null && value !== undefined) record[column.replace(/_([a-z])/g, (_, letter: string) => letter.toUpperCase())] = value;
  }
  return record as FromRow<Row>;
}
