// Lambda entry for the scheduled watch (EventBridge, every 5 minutes by default): reads every
// watched service cheaply and warns of a leak developing before the alarm, or of a leak back
// after a restart. The run ends inside the function's timeout with what it read (lib/watch).
// Composed in lib/wiring/watch.ts.
export { handler } from '../lib/wiring/watch.ts';
