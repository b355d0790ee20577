// Public surface of localdb: what other domains may import.
export { startEmbeddedPostgres, type RunningPostgres } from './embedded-postgres.ts';
export { ownName, sweepLeftovers } from './leftovers.ts';
