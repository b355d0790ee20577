// Public surface of intake: what other domains may import.
export { handleAlarmEvent, type AlarmEventResult } from './alarm-event.ts';
export { alertNameOfUnmapped, ingestAlerts, recordServiceAlarm, summarise, type IngestDeps, type RouteOutcome } from './ingest.ts';
export { deliveryId } from './alarm-event.ts';
