// Public surface of alert normalisation. Mapping an alert to services lives with the catalog
// (`routeAlert`, `servicesForAlert` in lib/catalog).
export type * from './model.ts';
export { ALERT_SOURCES, ALERT_KINDS } from './model.ts';
export { parseAlerts, detectSource } from './parse.ts';
export { consoleLink } from './cloudwatch.ts';
export { signalOfMetric, signalOfLabels, resourcesOf } from './classify.ts';
export { formatPath, formatZodIssue, zodIssues, issuesToText } from './field-issues.ts';
