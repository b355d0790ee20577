// Public surface of the job queue: job types, the JobQueue interface, SQS and in-process queues.
export * from './model.ts';
export { buildEnvelope, parseMessage, secondsUntilDue, type ParsedMessage } from './envelope.ts';
export { SqsJobQueue, handleSqsBatch, type SqsJobQueueOptions, type SqsEvent, type SqsBatchResponse, type SqsRecordProblem, type HandleSqsBatchOptions } from './sqs.ts';
export { InProcessJobQueue, type InProcessJobQueueOptions, type DeadLetter } from './in-process.ts';
