// The single DynamoDB table behind DynamoStore. Key design (every key is `pk` + `sk`, strings;
// components are URI-encoded so a `#` in a name cannot forge another key):
//
//   item                     pk                                   sk                      gsi1pk / gsi1sk
//   current incident         INCIDENT#<service>#<kind>            CURRENT                 OPEN_INCIDENT / <firstSeen>#<id> (only while open)
//   earlier incident         INCIDENT#<service>#<kind>            ARCHIVE#<incidentId>    -
//   approval                 APPROVAL#<approvalId>                APPROVAL                -
//   audit entry              AUDIT#<incidentId | ->               <at ISO>#<entryId>      -
//   dump baseline            BASELINE#<service>                   DUMP                    -
//   idempotency key          IDEMPOTENCY#<key>                    KEY                     -
//
// An incident id (`<service>:<kind>:<stamp>-<hex>`) names its own partition, so a lookup by id
// is a GetItem on CURRENT, then on ARCHIVE#<id> if CURRENT has moved on.
//
// `ttl` (epoch seconds) is the TTL attribute. DynamoDB deletes expired items only
// eventually (up to days later) and dynalite never does, so every read treats an item past its
// `ttl` as absent, and every conditional write treats it as free.
//
// gsi1 is sparse: only open incidents carry gsi1pk, so `/leak status` is one small Query.
import {
  CreateTableCommand,
  DescribeTableCommand,
  UpdateTimeToLiveCommand,
  type CreateTableCommandInput,
  type DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

/** The document client every store of this table uses: undefined attributes left out, not refused. */
export function documentClient(client: DynamoDBClient | DynamoDBDocumentClient): DynamoDBDocumentClient {
  return client instanceof DynamoDBDocumentClient ? client : DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
}

export const TTL_ATTRIBUTE = 'ttl';
export const OPEN_INCIDENTS_INDEX = 'gsi1';

export function storeTableDefinition(tableName: string): CreateTableCommandInput {
  return {
    TableName: tableName,
    BillingMode: 'PAY_PER_REQUEST',
    AttributeDefinitions: [
      { AttributeName: 'pk', AttributeType: 'S' },
      { AttributeName: 'sk', AttributeType: 'S' },
      { AttributeName: 'gsi1pk', AttributeType: 'S' },
      { AttributeName: 'gsi1sk', AttributeType: 'S' },
    ],
    KeySchema: [
      { AttributeName: 'pk', KeyType: 'HASH' },
      { AttributeName: 'sk', KeyType: 'RANGE' },
    ],
    GlobalSecondaryIndexes: [
      {
        IndexName: OPEN_INCIDENTS_INDEX,
        KeySchema: [
          { AttributeName: 'gsi1pk', KeyType: 'HASH' },
          { AttributeName: 'gsi1sk', KeyType: 'RANGE' },
        ],
        Projection: { ProjectionType: 'ALL' },
      },
    ],
  };
}

export interface CreatedTable {
  /** `enabled`, or `unsupported` when the endpoint has no UpdateTimeToLive (dynalite). */
  ttl: 'enabled' | 'unsupported';
}

/** Creates the table (for tests, local setups and bootstrap scripts), waits until ACTIVE, enables TTL. */
export async function createStoreTable(client: DynamoDBClient, tableName: string, opts: { timeoutMs?: number } = {}): Promise<CreatedTable> {
  const deadline = Date.now() + (opts.timeoutMs ?? 60_000);
  const signal = () => AbortSignal.timeout(Math.max(1, deadline - Date.now()));
  await client.send(new CreateTableCommand(storeTableDefinition(tableName)), { abortSignal: signal() });
  for (;;) {
    const d = await client.send(new DescribeTableCommand({ TableName: tableName }), { abortSignal: signal() });
    if (d.Table?.TableStatus === 'ACTIVE') break;
    if (Date.now() > deadline) throw new Error(`table ${tableName} did not become ACTIVE in time`);
    await new Promise((r) => setTimeout(r, 200));
  }
  try {
    await client.send(
      new UpdateTimeToLiveCommand({ TableName: tableName, TimeToLiveSpecification: { AttributeName: TTL_ATTRIBUTE, Enabled: true } }),
      { abortSignal: signal() },
    );
    return { ttl: 'enabled' };
  } catch (err) {
    const name = (err as Error).name;
    if (name === 'UnknownOperationException' || /UnknownOperation/.test((err as Error).message)) return { ttl: 'unsupported' };
    throw err;
  }
}
