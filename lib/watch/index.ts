// Public surface of the watch: before the alarm (a leak developing) and after a restart (a regression).
export { runWatch, WATCH_DEFAULTS, type WatchDeps, type WatchRunOptions, type WatchRunResult, type ServiceOutcome } from './run.ts';
export { readFleet, sampleOf, isWatched, type FleetReading, type ServiceReading } from './read.ts';
export { assessDeveloping, assessRegression, type Developing, type Regression } from './assess.ts';
export { trendOf, mannKendall, normalCdf, type Trend, type Point } from './trend.ts';
export { renderDeveloping, renderRegression, renderNoLongerGrowing, projectionLine, regressionLine, formatHours } from './message.ts';
export { restartMarkOf, markRestartHook, watchStoreFor } from './restart-mark.ts';
