// Public surface of dump collection: read goroutine dumps from every replica the catalog names.
export type * from './model.ts';
export { collectDumps, describeSource, type CollectDumpsOptions, type DumpClients } from './collect.ts';
export { goroutineUrl } from './http-source.ts';
export { kubernetesClientProblem, type KubeAccess, type KubeClientOption } from './kubernetes.ts';
export { formatBytes } from './describe.ts';
// ecs.ts and s3.ts are loaded by collect.ts with import() for the sources that need them, and
// only their types are re-exported: esbuild would otherwise load their SDK clients with the index.
export type { EcsClientOption, EcsLike } from './ecs.ts';
export type { S3ClientOption, S3Like } from './s3.ts';
