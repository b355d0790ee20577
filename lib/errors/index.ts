// Errors and deadlines, one home for both (see deadline.ts and describe.ts).
export { DeadlineError, byDeadline, remainingMs, withDeadline, within } from './deadline.ts';
export { describeError, errorMessage } from './describe.ts';
