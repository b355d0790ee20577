// The app manifest declares what the code uses: /leak, interactivity on the same endpoint, and
// a scope for every Web API method the app calls.
import { readFile } from 'node:fs/promises';
import { parse } from 'yaml';
import { expect, it } from 'vitest';

const METHOD_SCOPES: Record<string, string> = {
  'chat.postMessage': 'chat:write',
  'chat.update': 'chat:write',
  'chat.postEphemeral': 'chat:write',
  'chat.delete': 'chat:write',
  'files.getUploadURLExternal': 'files:write',
  'files.completeUploadExternal': 'files:write',
  'usergroups.users.list': 'usergroups:read',
};

it('declares /leak, interactivity and the scopes of every method used', async () => {
  const m = parse(await readFile(new URL('../../infra/slack-manifest.yml', import.meta.url), 'utf8'));
  const [command] = m.features.slash_commands;
  expect(command.command).toBe('/leak');
  expect(m.settings.interactivity.is_enabled).toBe(true);
  expect(m.settings.interactivity.request_url).toBe(command.url);
  expect(command.url).toMatch(/^https:\/\/.+\/slack\/events$/);
  const scopes: string[] = m.oauth_config.scopes.bot;
  expect(scopes).toContain('commands');
  for (const [method, scope] of Object.entries(METHOD_SCOPES)) expect(scopes, method).toContain(scope);
  // Nothing broader than needed.
  expect(scopes.filter((s) => /:history|users:read\.email|admin/.test(s))).toEqual([]);
});
