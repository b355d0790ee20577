// Action ids of every button and the format of button values. A value names what was clicked
// (an incident, an approval request, or a service when there is no incident) and nothing else:
// the handler re-reads the rest from the store and the catalog.
import { z } from 'zod';

export const ACTIONS = {
  restart: 'leak_restart',
  terminate: 'leak_terminate',
  rerun: 'leak_rerun',
  silence: 'leak_silence',
  approve: 'leak_approve',
  deny: 'leak_deny',
  postmortem: 'leak_postmortem',
} as const;

export type ActionName = keyof typeof ACTIONS;

/** Ids the store and the catalog hand out: incident ids, `apr_…`, service names. */
export const idSchema = z
  .string()
  .min(1)
  .max(128)
  .regex(/^[A-Za-z0-9][A-Za-z0-9._:-]*$/, 'not an id');

export type ButtonTarget = { kind: 'incident'; id: string } | { kind: 'service'; name: string } | { kind: 'approval'; id: string };

/** `i:<incident>`, `s:<service>` or `a:<approval>`. */
export function encodeTarget(t: ButtonTarget): string {
  switch (t.kind) {
    case 'incident':
      return `i:${idSchema.parse(t.id)}`;
    case 'service':
      return `s:${idSchema.parse(t.name)}`;
    case 'approval':
      return `a:${idSchema.parse(t.id)}`;
  }
}

export const buttonTargetSchema = z
  .string()
  .max(200)
  .transform((v, ctx): ButtonTarget => {
    const m = /^([isa]):(.*)$/.exec(v);
    const id = m ? idSchema.safeParse(m[2]) : null;
    if (!m || !id?.success) {
      ctx.addIssue({ code: 'custom', message: 'button value is not a Leakhound id' });
      return z.NEVER;
    }
    return m[1] === 'i' ? { kind: 'incident', id: id.data } : m[1] === 's' ? { kind: 'service', name: id.data } : { kind: 'approval', id: id.data };
  });
