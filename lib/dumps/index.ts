// Public surface of dump collection: read goroutine dumps from every replica the catalog names.
export type * from './model.ts';
export { collectDumps, describeSource, type CollectDumpsOptions, type DumpClients } from './collect.ts';
export { goroutineUrl } from './http-source.ts';
export { kubernetesClientProblem, type KubeAccess, type KubeClientOption } from './kubernetes.ts';
export { taskPrivateIp, type EcsClientOption, type EcsLike } from './ecs.ts';
export { replicaOfKey, S3_MAX_AGE_MS, S3_STALE_AFTER_MS, type S3ClientOption, type S3Like } from './s3.ts';
export { formatBytes } from './describe.ts';
