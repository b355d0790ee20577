// The catalog's region (defaults.region, or LEAKHOUND_AWS_REGION over it) is the region of the
// ECS and S3 clients triage creates for dump sources that name none; not only AWS_REGION.
// aws-sdk-client-mock stands in for ECS and S3 (no local form); the clients are triage's own.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ECSClient, ListTasksCommand } from '@aws-sdk/client-ecs';
import { ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeEach, expect, it } from 'vitest';
import { loadCatalog } from '../../lib/catalog/index.ts';
import { triageService } from '../../lib/triage/index.ts';

const ecsMock = mockClient(ECSClient);
const s3Mock = mockClient(S3Client);
afterAll(() => {
  ecsMock.restore();
  s3Mock.restore();
});
beforeEach(() => {
  ecsMock.reset();
  s3Mock.reset();
  ecsMock.on(ListTasksCommand).resolves({ taskArns: [] });
  s3Mock.on(ListObjectsV2Command).resolves({ Contents: [] });
});

const dir = mkdtempSync(join(tmpdir(), 'lh-region-'));
function catalogFile(region: string | null): string {
  const file = join(dir, `${region ?? 'none'}.yml`);
  writeFileSync(
    file,
    `defaults:
  slackChannel: "#leakhound"
  deadlineSeconds: 3
${region ? `  region: ${region}\n` : ''}services:
  - name: checkout
    database: { engine: postgres, url: { env: CHECKOUT_DATABASE_URL } }
    dumps:
      sources:
        - ecs: { cluster: prod, service: checkout, port: 6060 }
        - s3: { bucket: acme-dumps, prefix: dumps/checkout }
`,
  );
  return file;
}

/** Regions of the clients that sent the ECS and S3 calls during one triage. */
async function regionsUsed(file: string, env: Record<string, string>): Promise<{ ecs: string[]; s3: string[] }> {
  const loaded = await loadCatalog(file, env);
  if (!loaded.ok) throw loaded.error;
  const service = loaded.catalog.services[0]!;
  ecsMock.resetHistory();
  s3Mock.resetHistory();
  await triageService({ catalog: loaded.catalog, service }, { env: { CHECKOUT_DATABASE_URL: 'postgres://nobody@127.0.0.1:1/none' }, cloudwatch: null });
  const regionOf = async (calls: Array<{ thisValue: unknown }>) =>
    Promise.all(calls.map((c) => (c.thisValue as { config: { region: () => Promise<string> } }).config.region()));
  return { ecs: await regionOf(ecsMock.commandCalls(ListTasksCommand)), s3: await regionOf(s3Mock.commandCalls(ListObjectsV2Command)) };
}

it('defaults.region reaches the ECS and S3 dump sources that name no region', async () => {
  expect(await regionsUsed(catalogFile('eu-west-3'), { AWS_REGION: 'us-east-1' })).toEqual({ ecs: ['eu-west-3'], s3: ['eu-west-3'] });
});

it('LEAKHOUND_AWS_REGION does too, over the file', async () => {
  expect(await regionsUsed(catalogFile('eu-west-3'), { LEAKHOUND_AWS_REGION: 'ap-south-1' })).toEqual({ ecs: ['ap-south-1'], s3: ['ap-south-1'] });
  expect(await regionsUsed(catalogFile(null), { LEAKHOUND_AWS_REGION: 'ca-central-1' })).toEqual({ ecs: ['ca-central-1'], s3: ['ca-central-1'] });
});
