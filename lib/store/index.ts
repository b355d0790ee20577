// Public surface of the store: the Store interface, its two implementations.
export type * from './model.ts';
export { APPROVAL_TRANSITIONS, DEFAULT_FLAPPING_WINDOW_MINUTES, DEFAULT_RETENTION_DAYS } from './model.ts';
export { MemoryStore, type MemoryStoreOptions } from './memory.ts';
export { DynamoStore, createDynamoStore, type DynamoStoreOptions } from './dynamo.ts';
export { createStoreTable, storeTableDefinition, TTL_ATTRIBUTE, OPEN_INCIDENTS_INDEX, type CreatedTable } from './dynamo-table.ts';
export { isAllowedTransition } from './records.ts';
export { wellFormed } from './records.ts';
export type { WatchStore, WatchSample, WatchNotice, RestartMark } from './watch-model.ts';
export { WATCH_SAMPLE_KEEP } from './watch-model.ts';
export { MemoryWatchStore, type MemoryWatchStoreOptions } from './watch-memory.ts';
export { DynamoWatchStore, type DynamoWatchStoreOptions } from './watch-dynamo.ts';
