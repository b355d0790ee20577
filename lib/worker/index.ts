// Public surface of worker: what other domains may import.
export { createJobHandler, type VerificationSchedule, type WorkerDeps } from './run-job.ts';
