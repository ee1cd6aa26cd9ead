/** Host-side API of the engine (safe to import from main, services and CLI: does not load any handler). */
export { EngineHost, type EngineHostOptions, type RequestOptions, type EngineCall, type EngineLog } from './host';
export type { EngineChild, EngineExit, SpawnEngine } from './child';
export { describeExit, exitLatch } from './child';
export { nodeEngineSpawner, forkEngine, type NodeSpawnOptions } from './spawn-node';
export { resolveEngineEntry, tsxExecArgv, type EngineEntry } from './entry';
export { EngineError, EngineErrorCode } from './protocol';
