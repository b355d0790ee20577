// What a service restarts, in its normalised form: the one schema for it (the catalog builds it,
// an approval stores it, the store validates it when read back) and the one way to name it in an
// audit line, a Slack message or a report action. The catalog file's own shape (a block keyed by
// platform, with defaults) is schema.ts's; it normalises into this.
import { z } from 'zod';
import { redact } from '../redact/index.ts';

export const restartTargetSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('kubernetes'), namespace: z.string().min(1), deployment: z.string().min(1) }),
  z.object({ type: z.literal('ecs'), cluster: z.string().min(1), service: z.string().min(1), region: z.string().nullable() }),
  z.object({ type: z.literal('command'), argv: z.array(z.string()).min(1), timeoutSeconds: z.number().positive() }),
]);

export type RestartTarget = z.infer<typeof restartTargetSchema>;

/** `deployment prod/billing-api`, `ECS service prod/billing-api (eu-west-1)`, `command restart-billing-api`. */
export function describeRestartTarget(target: RestartTarget): string {
  switch (target.type) {
    case 'kubernetes':
      return `deployment ${target.namespace}/${target.deployment}`;
    case 'ecs':
      return `ECS service ${target.cluster}/${target.service}${target.region ? ` (${target.region})` : ''}`;
    case 'command':
      // The argv is the catalog's, and may carry a --password: redacted wherever it is shown.
      return redact(`command ${target.argv.map((a) => (/^[\w./:=@-]+$/.test(a) ? a : JSON.stringify(a))).join(' ')}`);
  }
}
