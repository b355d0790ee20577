// Public surface of slack: what other domains may import.
export { createSlackApp } from './app/bolt-app.ts';
export type { AwsEvent, AwsResponse, SlackLambdaHandler } from './app/lambda-receiver.ts';
export { LocalReceiver, localClick, localCommand, type ButtonPlace } from './app/local-receiver.ts';
export { PosterNotifier } from './post/notify.ts';
export type { PacerOptions } from './post/pacer.ts';
export { IncidentPoster, type GraphImage, type ReplyTo } from './post/poster.ts';
export { ConsoleSink, WebApiSink, type FileUpload, type PostTarget, type SlackSink } from './post/sink.ts';
export { createSlackClient } from './post/web-client.ts';
export { ACTIONS, type ActionName } from './render/action-ids.ts';
export { plainMessage, type SlackMessage } from './render/block-kit.ts';
export { describeSubject, renderApprovalRequest } from './render/messages.ts';
export { code, mention, safe } from './render/mrkdwn.ts';
export { boltLogger } from './app/bolt-log.ts';
export { context, header, section, type KnownBlock } from './render/block-kit.ts';
export { renderReport } from './render/report.ts';
export { pageAnswer, pageText, withPageButton } from './render/evidence-page-note.ts';
