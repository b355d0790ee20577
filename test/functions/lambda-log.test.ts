// The functions' log (Powertools Logger behind lib/lambda/log's interface): JSON lines with the
// Lambda context and correlation ids, and lib/redact on every string of every line, including
// what reaches the Logger without passing through our field cleaning (an Error, appended keys).
import { describe, expect, it } from 'vitest';
import { withCorrelationId } from '../../lib/lambda/correlation.ts';
import { createLambdaLog } from '../../lib/lambda/lambda-log.ts';
import { captureStdio } from '../support/stdio.ts';
import { lambdaContext } from '../support/functions-harness.ts';

const PASSWORD = 'Correct-Horse-Battery-91';
const TOKEN = 'xoxb-1234567890-0987654321-AbCdEfGhIjKlMnOpQrStUvWx';

function logged(write: (log: ReturnType<typeof createLambdaLog>) => void | Promise<void>) {
  const log = createLambdaLog('test-component');
  const out = captureStdio();
  return Promise.resolve()
    .then(() => write(log))
    .finally(() => out.restore())
    .then(() => out);
}

describe('lambda log', () => {
  it('writes JSON with the component, the Lambda context, cold start and the invocation correlation id', async () => {
    const out = await logged((log) => {
      log.startInvocation(lambdaContext, 'req-42');
      log.info('hello', { count: 3, names: ['a', 'b'] });
    });
    expect(out.json()).toEqual([
      expect.objectContaining({
        level: 'INFO',
        message: 'hello',
        service: 'leakhound',
        component: 'test-component',
        function_name: lambdaContext.functionName,
        function_request_id: lambdaContext.awsRequestId,
        cold_start: expect.any(Boolean),
        correlation_id: 'req-42',
        count: 3,
        names: ['a', 'b'],
      }),
    ]);
  });

  it('gives work inside withCorrelationId its own id, and forgets the last invocation\'s', async () => {
    const out = await logged(async (log) => {
      log.startInvocation(lambdaContext, 'first');
      log.startInvocation(lambdaContext, null);
      await Promise.all(['m-1', 'm-2'].map((id) => withCorrelationId(id, async () => {
        await new Promise((r) => setTimeout(r, id === 'm-1' ? 5 : 0));
        log.warn('record', { id });
      })));
      log.info('after');
    });
    const lines = out.json();
    // Interleaved (m-1 waits, m-2 logs first), each line still carries its own record's id.
    const records = lines.filter((l) => l['message'] === 'record').map((l) => [l['id'], l['correlation_id']]);
    expect(records.sort()).toEqual([
      ['m-1', 'm-1'],
      ['m-2', 'm-2'],
    ]);
    expect(lines.find((l) => l['message'] === 'after')).not.toHaveProperty('correlation_id');
  });

  it('keeps a field named like a Powertools key instead of losing it', async () => {
    const out = await logged((log) => log.info('x', { message: 'm-7', level: 'deep' }));
    expect(out.json()[0]).toMatchObject({ message: 'x', message_field: 'm-7', level: 'INFO', level_field: 'deep' });
  });

  it('redacts a secret that reaches the Logger inside an Error, an appended key or the message', async () => {
    const out = await logged((log) => {
      log.logger.appendKeys({ upstream: `postgres://app:${PASSWORD}@db.internal:5432/orders` });
      log.logger.error(`token ${TOKEN} refused`, new Error(`could not connect: postgres://app:${PASSWORD}@db.internal/orders`));
      log.error('failed', { reason: `Authorization: Bearer ${TOKEN}` });
    });
    const text = out.text();
    expect(out.json()).toHaveLength(2);
    expect(out.json()[0]).toMatchObject({ error: { name: 'Error', message: expect.stringContaining('could not connect') } });
    expect(text).not.toContain(PASSWORD);
    expect(text).not.toContain(TOKEN);
  });
});
