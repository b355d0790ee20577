// An in-process dynalite (a DynamoDB-compatible server, in-memory backend) on a random port,
// and fresh tables on it for the store tests.
import { randomBytes } from 'node:crypto';
import { Agent } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import dynalite from 'dynalite';
import { createStoreTable } from '../../lib/store/index.ts';

export interface Dynalite {
  endpoint: string;
  client: DynamoDBClient;
  /** Creates a new store table and returns its name. */
  newTable(): Promise<string>;
  close(): Promise<void>;
}

export async function startDynalite(): Promise<Dynalite> {
  const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const endpoint = `http://127.0.0.1:${port}`;
  const client = new DynamoDBClient({
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    maxAttempts: 3,
    // The storm tests queue a thousand requests behind 50 sockets on purpose: no warning for it.
    requestHandler: { httpAgent: new Agent({ keepAlive: true, maxSockets: 50 }), socketAcquisitionWarningTimeout: 120_000 },
  });
  return {
    endpoint,
    client,
    async newTable() {
      const name = `leakhound-${randomBytes(4).toString('hex')}`;
      const created = await createStoreTable(client, name);
      // dynalite has no UpdateTimeToLive; the store enforces TTL on its own (tested).
      if (created.ttl !== 'unsupported' && created.ttl !== 'enabled') throw new Error('unexpected TTL result');
      return name;
    },
    async close() {
      client.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
