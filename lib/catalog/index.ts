// Public surface of the service catalog.
export type * from './model.ts';
export { CatalogError } from './model.ts';
export { parseCatalog, loadCatalog, type ParseCatalogOptions } from './parse.ts';
export { ENV_OVERRIDES } from './env.ts';
export { describeRestartTarget, restartTargetSchema } from './restart-target.ts';
export { parseByteSize, DEFAULT_PPROF_PATH, DEFAULT_METRICS_PATH } from './schema.ts';
export {
  servicesForAlert,
  matchAlert,
  routeAlert,
  dimensionMatcher,
  globMatch,
  type AlertRoute,
  type ServiceMatch,
  type MatchReason,
} from './match.ts';
export {
  resolveDatabaseUrl,
  secretToUrl,
  type SecretReader,
  type ResolveDatabaseUrlOptions,
  type DatabaseUrlResult,
} from './database-url.ts';

import type { Catalog, Service } from './model.ts';

export function findService(catalog: Catalog, name: string): Service | null {
  return catalog.services.find((s) => s.name === name) ?? null;
}

/** Every service on one database (shared databases have several). */
export function servicesOnDatabase(catalog: Catalog, databaseId: string): Service[] {
  return catalog.services.filter((s) => s.database.id === databaseId);
}
