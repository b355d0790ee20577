// Public surface of goroutine-dump analysis.
export type * from './model.ts';
export { readDump, type ReadDumpOptions, type DumpInput } from './read.ts';
export { findLeaks } from './classify.ts';
export { diffDumps, type GroupGrowth, type DumpDiff } from './diff.ts';
export { mergeGroups } from './grouping.ts';
export { markProvedLeaks } from './leak-profile.ts';
export { DumpFormatError, RUNTIME_DEBUG2_CAP } from './read.ts';
export { describeCulprit, shortFile } from './classify.ts';
export { isFindingKind, signatureByKind, type KindActions, type KindTraits, type Signature } from './signatures.ts';
export { formatLabels } from './labels.ts';
export { carryLabels, type CarriedLabels } from './carry-labels.ts';
export { culpritOf } from './classify.ts';
export { canonicalFunction, isApplicationFunction } from './functions.ts';
export { dominantState } from './grouping.ts';
export { signatureOf } from './signatures.ts';
