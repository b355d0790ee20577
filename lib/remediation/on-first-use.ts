// The SDK-backed executors, loaded by their first restart: a bundle or a job that never restarts
// (triage, terminate, verify) never loads the ECS or Kubernetes clients. For that reason ecs.ts and
// kubernetes.ts are not re-exported from index.ts (esbuild would load them with the index).
import { lazy } from '../lambda/index.ts';
import type { EcsExecutorOptions } from './ecs.ts';
import type { Executor } from './executor.ts';
import type { KubernetesExecutorOptions } from './kubernetes.ts';

function onFirstUse(load: () => Promise<Executor>): Executor {
  // lazy(): a failed load (a missing module, a bad kubeconfig) is tried again next time.
  const executor = lazy(load);
  return { restart: async (target, options) => (await executor.get()).restart(target, options) };
}

export const ecsExecutorOnFirstUse = (options: EcsExecutorOptions): Executor =>
  onFirstUse(async () => new (await import('./ecs.ts')).EcsExecutor(options));

export const kubernetesExecutorOnFirstUse = (options: KubernetesExecutorOptions = {}): Executor =>
  onFirstUse(async () => new (await import('./kubernetes.ts')).KubernetesExecutor(options));
