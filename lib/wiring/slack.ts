// The Lambda function for Slack: `/leak` and button clicks (API Gateway → here). The app is built once
// per container on the first request; each request goes to Bolt's AwsLambdaReceiver, which
// verifies the signature, runs the listener (validate, ack, enqueue) and returns its answer.
// Bolt logs through the function's Powertools log (API Gateway's request id as correlation id);
// approvals are counted in its metrics.
import { SQSClient } from '@aws-sdk/client-sqs';
import { z } from 'zod';
import { loadCatalog } from '../catalog/index.ts';
import { SqsJobQueue } from '../jobs/index.ts';
import { apiRequestId, createTelemetry, invocation } from '../lambda/index.ts';
import { errorMessage } from '../errors/index.ts';
import type { AwsEvent, AwsResponse, SlackLambdaHandler } from '../slack/index.ts';
import { createDynamoStore } from '../store/index.ts';

const telemetry = createTelemetry('slack');

const envSchema = z.object({
  SLACK_SIGNING_SECRET: z.string().min(1),
  SLACK_BOT_TOKEN: z.string().regex(/^xoxb-/),
  SLACK_BOT_ID: z.string().optional(),
  SLACK_BOT_USER_ID: z.string().optional(),
  /** The catalog file. */
  LEAKHOUND_CONFIG: z.string().min(1),
  LEAKHOUND_TABLE: z.string().min(1),
  LEAKHOUND_QUEUE_URL: z.string().url(),
  /** `/leak evidence`: presigned links to the evidence pages in this bucket. */
  LEAKHOUND_EVIDENCE_BUCKET: z.string().min(1).optional(),
  LEAKHOUND_EVIDENCE_LINK_HOURS: z.coerce.number().positive().max(168).default(24),
});

async function init(): Promise<SlackLambdaHandler> {
  const parsed = envSchema.safeParse(process.env);
  if (!parsed.success) throw new Error(`missing or invalid: ${parsed.error.issues.map((i) => i.path.join('.')).join(', ')}`);
  const env = parsed.data;
  // Bolt and the rest of lib/slack load here, not at import: a cold start answers Slack sooner.
  const [{ createSlackLambdaHandler }, { boltLogger }] = await Promise.all([import('../slack/app/lambda-receiver.ts'), import('../slack/app/bolt-log.ts')]);
  const loaded = await loadCatalog(env.LEAKHOUND_CONFIG, process.env);
  if (!loaded.ok) throw loaded.error;
  const pageLinker = env.LEAKHOUND_EVIDENCE_BUCKET ? await evidenceLinker(env.LEAKHOUND_EVIDENCE_BUCKET, env.LEAKHOUND_EVIDENCE_LINK_HOURS) : null;
  return createSlackLambdaHandler({
    signingSecret: env.SLACK_SIGNING_SECRET,
    token: env.SLACK_BOT_TOKEN,
    botId: env.SLACK_BOT_ID,
    botUserId: env.SLACK_BOT_USER_ID,
    catalog: loaded.catalog,
    // Short timeouts: the whole answer to Slack must be back within 3 seconds.
    store: createDynamoStore({ tableName: env.LEAKHOUND_TABLE, requestTimeoutMs: 800 }),
    queue: new SqsJobQueue({ client: new SQSClient({}), queueUrl: env.LEAKHOUND_QUEUE_URL, requestTimeoutMs: 1_000 }),
    logger: boltLogger(telemetry.log),
    meter: telemetry.meter,
    pageLinker,
  });
}

async function evidenceLinker(bucket: string, hours: number) {
  const [{ S3Client }, { S3PageLinker }] = await Promise.all([import('@aws-sdk/client-s3'), import('../evidence-page/link.ts')]);
  return new S3PageLinker({ client: new S3Client({}), bucket, hours, requestTimeoutMs: 1_200 });
}

let ready: Promise<SlackLambdaHandler> | null = null;

export async function handler(event: AwsEvent, context: unknown): Promise<AwsResponse> {
  return invocation(telemetry, context, apiRequestId(event), async () => {
    ready ??= init().catch((err: unknown) => {
      ready = null; // try again on the next request (a fixed config, a transient read error)
      throw err;
    });
    let handle: SlackLambdaHandler;
    try {
      handle = await ready;
    } catch (err) {
      telemetry.log.error('not configured', { reason: errorMessage(err) });
      return { statusCode: 500, body: '' };
    }
    return handle(event, context);
  });
}
