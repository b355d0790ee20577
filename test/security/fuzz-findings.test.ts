// What the fuzzer found, pinned as plain cases so they stay fixed whatever the seed.
import { describe, expect, it } from 'vitest';
import { parseCatalog } from '../../lib/catalog/parse.ts';
import { DatabaseUrlError, parseDatabaseUrl, redactUrl } from '../../lib/sessions/target.ts';
import { parseLeakCommand, serviceNames } from '../../lib/slack/command.ts';
import { renderUnknownSubcommand } from '../../lib/slack/messages.ts';
import { ACTIONS } from '../../lib/slack/ids.ts';
import { BOT_TOKEN, apiGatewayEvent, blockActionBody, commandBody } from '../slack/support/events.ts';
import { harness, testCatalog } from '../slack/support/fixtures.ts';

describe('database URLs', () => {
  it('a password with an unencoded "@" and "/" is never shown, in part or whole (it spilled into the path)', () => {
    const url = 'postgres://app:p@ss/Secret-Tail-77@db.internal:5432/app';
    expect(redactUrl(url)).toBe('postgres://<unparsable>');
    expect(() => parseDatabaseUrl(url)).toThrow(DatabaseUrlError);
    try {
      parseDatabaseUrl(url);
    } catch (err) {
      expect((err as Error).message).not.toMatch(/@ss|Secret-Tail/);
      expect((err as Error).message).toMatch(/percent-encode/);
    }
    // Encoded, it is an ordinary URL.
    expect(parseDatabaseUrl(`postgres://app:${encodeURIComponent('p@ss/Secret-Tail-77')}@db.internal:5432/app`).redacted).toBe('postgres://app:***@db.internal:5432/app');
  });
});

describe('/leak answers', () => {
  it('never repeat a token pasted into the command, even glued to other text', () => {
    const catalog = testCatalog();
    const cmd = parseLeakCommand(`help${BOT_TOKEN}`, catalog);
    expect(cmd.kind).toBe('unknown-subcommand');
    const answer = renderUnknownSubcommand(cmd.kind === 'unknown-subcommand' ? cmd.given : '', serviceNames(catalog));
    expect(JSON.stringify(answer)).not.toContain('xoxb-1111');
  });
});

describe('catalog', () => {
  it('prints nothing to stderr for odd YAML keys (the key could hold anything): it is an issue instead', () => {
    const written: string[] = [];
    const original = process.emitWarning;
    process.emitWarning = ((w: string | Error) => void written.push(String(w))) as typeof process.emitWarning;
    try {
      const r = parseCatalog('defaults: { slackChannel: "#x" }\n? { url: "postgres://u:pw@h/d" }\n: 1\nservices: []\n', 'odd.yml');
      expect(r.ok).toBe(false);
    } finally {
      process.emitWarning = original;
    }
    expect(written).toEqual([]);
  });
});

describe('signed Slack requests Bolt itself would crash on', () => {
  const payload = (p: Record<string, unknown>) => new URLSearchParams({ payload: JSON.stringify(p) }).toString();
  const click = JSON.parse(new URLSearchParams(blockActionBody({ user: 'UAPPROVER1', actionId: ACTIONS.silence, value: 's:billing-api' })).get('payload')!) as Record<string, unknown>;

  it('answer 400 with the reason logged, not 500', async () => {
    const h = await harness();
    try {
      const bodies = [
        'null',
        payload({ ...click, actions: ['A'] }),
        payload({ ...click, user: undefined }),
        payload({ ...click, team: { id: 'constructor' } }),
        payload({ ...click, channel: null }),
        payload({ ...click, type: undefined, user: undefined }),
        payload({ ...click, type: 'NaN', user: undefined }),
        payload({ ...click, event: 'x' }),
        payload({ ...click, name: 'x', user: 'U1' }),
        commandBody('help').replace('team_id=T1', 'team_id=__proto__'),
      ];
      for (const [i, body] of bodies.entries()) {
        const ev = apiGatewayEvent(body);
        if (i === 0) ev.headers['content-type'] = 'application/json';
        const res = await h.handler(ev);
        expect(res.statusCode, body.slice(0, 80)).toBe(400);
      }
      expect(h.logger.warns.filter((w) => /refused a Slack request \(400\)/.test(w))).toHaveLength(bodies.length);
      expect(h.logger.errors).toEqual([]);
      await h.queue.inner.drain();
      expect(h.queue.jobs).toHaveLength(0);
    } finally {
      await h.close();
    }
  });
});
