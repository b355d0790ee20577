// `/leak …` text → what to do. Pure: the catalog decides which services exist; anything else is
// an answer listing what does.
import type { Catalog, Service } from '../../catalog/index.ts';

export type ServiceSubcommand = 'triage' | 'sessions' | 'dump' | 'restart';

export type LeakCommand =
  | { kind: 'service'; subcommand: ServiceSubcommand; service: Service }
  | { kind: 'status' }
  /** `/leak postmortem <service|incident id>`: the worker resolves the target against the store. */
  | { kind: 'postmortem'; target: string | null }
  /** `/leak evidence <incident>`: a new link to the incident's evidence page. Null: not an incident id. */
  | { kind: 'evidence'; incident: string | null }
  | { kind: 'help' }
  | { kind: 'unknown-subcommand'; given: string }
  | { kind: 'unknown-service'; subcommand: ServiceSubcommand; given: string | null };

const SERVICE_SUBCOMMANDS: readonly string[] = ['triage', 'sessions', 'dump', 'restart'];

export function parseLeakCommand(text: string, catalog: Pick<Catalog, 'services'>): LeakCommand {
  const words = text.trim().split(/\s+/).filter(Boolean);
  const sub = (words[0] ?? 'help').toLowerCase();
  if (sub === 'help' || sub === '-h' || sub === '--help') return { kind: 'help' };
  if (sub === 'status') return { kind: 'status' };
  if (sub === 'postmortem') {
    const target = words[1] ?? null;
    // Ids only (service names and incident ids): anything else is not looked up at all.
    return { kind: 'postmortem', target: target && /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/.test(target) ? target : null };
  }
  if (sub === 'evidence') {
    const id = words[1] ?? '';
    // The id becomes an S3 key segment: only what the evidence store itself accepts.
    return { kind: 'evidence', incident: /^[A-Za-z0-9][A-Za-z0-9._:%-]{0,299}$/.test(id) && !id.includes('..') ? id : null };
  }
  if (!SERVICE_SUBCOMMANDS.includes(sub)) return { kind: 'unknown-subcommand', given: (words[0] ?? '').slice(0, 40) };
  const subcommand = sub as ServiceSubcommand;
  const given = words[1] ?? null;
  if (!given) return { kind: 'unknown-service', subcommand, given: null };
  const service = catalog.services.find((s) => s.name === given) ?? catalog.services.find((s) => s.name.toLowerCase() === given.toLowerCase());
  return service ? { kind: 'service', subcommand, service } : { kind: 'unknown-service', subcommand, given: given.slice(0, 80) };
}

export const serviceNames = (catalog: Pick<Catalog, 'services'>): string[] => catalog.services.map((s) => s.name).sort();
