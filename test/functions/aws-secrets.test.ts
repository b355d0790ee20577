// The secret readers of the webhook and worker functions (Powertools Parameters providers):
// request shapes and caching via aws-sdk-client-mock (Secrets Manager and SSM have no local form).
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { GetParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { awsSecretReader, secretsManagerReader } from '../../lib/lambda/aws-secrets.ts';

const sm = mockClient(SecretsManagerClient);
const ssm = mockClient(SSMClient);
const savedMaxAge = process.env['POWERTOOLS_PARAMETERS_MAX_AGE'];
afterEach(() => {
  sm.reset();
  ssm.reset();
  if (savedMaxAge === undefined) delete process.env['POWERTOOLS_PARAMETERS_MAX_AGE'];
  else process.env['POWERTOOLS_PARAMETERS_MAX_AGE'] = savedMaxAge;
});

const signal = () => AbortSignal.timeout(5_000);

describe('secret readers (Powertools Parameters)', () => {
  it('reads a Secrets Manager secret once, then answers from the cache (default 300 s)', async () => {
    delete process.env['POWERTOOLS_PARAMETERS_MAX_AGE'];
    sm.on(GetSecretValueCommand, { SecretId: 'leakhound/prod' }).resolves({ SecretString: '{"SLACK_BOT_TOKEN":"xoxb-1"}' });
    const read = secretsManagerReader('eu-west-1');
    expect(await read('leakhound/prod', signal())).toBe('{"SLACK_BOT_TOKEN":"xoxb-1"}');
    expect(await read('leakhound/prod', signal())).toBe('{"SLACK_BOT_TOKEN":"xoxb-1"}');
    expect(sm.commandCalls(GetSecretValueCommand)).toHaveLength(1);
  });

  it('reads again every time when POWERTOOLS_PARAMETERS_MAX_AGE is 0', async () => {
    process.env['POWERTOOLS_PARAMETERS_MAX_AGE'] = '0';
    sm.on(GetSecretValueCommand).resolves({ SecretString: 'v' });
    const read = secretsManagerReader('eu-west-1');
    await read('a', signal());
    await read('a', signal());
    expect(sm.commandCalls(GetSecretValueCommand)).toHaveLength(2);
  });

  it('reads SSM parameters decrypted, and Secrets Manager secrets, through one reader (the worker)', async () => {
    ssm.on(GetParameterCommand).resolves({ Parameter: { Name: '/leakhound/prod/orders-url', Value: 'postgres://ro@orders/orders' } });
    sm.on(GetSecretValueCommand).resolves({ SecretString: 'postgres://ro@ledger/ledger' });
    const read = awsSecretReader('eu-west-1');
    expect(await read('/leakhound/prod/orders-url', signal())).toBe('postgres://ro@orders/orders');
    expect(await read('leakhound/prod/ledger-ro', signal())).toBe('postgres://ro@ledger/ledger');
    expect(ssm.commandCalls(GetParameterCommand)[0]!.args[0].input).toEqual({ Name: '/leakhound/prod/orders-url', WithDecryption: true });
    expect(sm.commandCalls(GetSecretValueCommand)[0]!.args[0].input).toMatchObject({ SecretId: 'leakhound/prod/ledger-ro' });
  });

  it('refuses an SSM reference in the webhook reader, and a binary secret anywhere', async () => {
    sm.on(GetSecretValueCommand).resolves({ SecretBinary: new Uint8Array([1, 2, 3]) });
    const read = secretsManagerReader('eu-west-1');
    await expect(read('/leakhound/prod/x', signal())).rejects.toThrow(/SSM parameter, which this function does not read/);
    await expect(read('leakhound/binary', signal())).rejects.toThrow(/holds no string \(binary secrets are not supported\)/);
  });

  it('gives up when the caller\'s signal aborts, without waiting for AWS', async () => {
    sm.on(GetSecretValueCommand).callsFake(() => new Promise(() => {}));
    const read = secretsManagerReader('eu-west-1');
    await expect(read('leakhound/slow', AbortSignal.timeout(50))).rejects.toThrow(/timeout|abort/i);
  });

  it('passes on the reason AWS gave', async () => {
    sm.on(GetSecretValueCommand).rejects(new Error('AccessDeniedException: not authorized to perform secretsmanager:GetSecretValue'));
    await expect(secretsManagerReader('eu-west-1')('leakhound/prod', signal())).rejects.toThrow(/not authorized/);
  });
});
