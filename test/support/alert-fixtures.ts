// Load alert fixtures written by hand from the documented AWS/Alertmanager/Grafana formats.
import { readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const ALERT_FIXTURE_DIR = fileURLToPath(new URL('../fixtures/alerts/', import.meta.url));

export function alertFixtureText(name: string): string {
  return readFileSync(ALERT_FIXTURE_DIR + name, 'utf8');
}

export function alertFixture(name: string): Record<string, unknown> {
  return JSON.parse(alertFixtureText(name)) as Record<string, unknown>;
}

export function alertFixtureNames(): string[] {
  return readdirSync(ALERT_FIXTURE_DIR).filter((f) => f.endsWith('.json')).sort();
}
