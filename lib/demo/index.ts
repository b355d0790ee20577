// Public surface of demo: what other domains may import.
export { rdsConnectionsAlarmEvent } from './alarm.ts';
export { DEMO_APPROVERS, DEMO_MAX_CONNECTIONS, DEMO_MIN_AGE_MS, DEMO_RDS_INSTANCE, startDemoEnvironment, type DemoEnvironment } from './environment.ts';
