export interface Migration {
  /** 1, 2, 3, ... in order; the database's PRAGMA user_version is the last one applied. */
  version: number;
  name: string;
  sql: string;
}
