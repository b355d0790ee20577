// Public surface of the evidence page: one self-contained HTML page per incident.
export type * from './model.ts';
export { DEFAULT_LIMITS } from './model.ts';
export { renderEvidencePage, PAGE_CSP } from './render.ts';
export { escapeHtml } from './html.ts';
export { PAGE_NAME, PAGE_CONTENT_TYPE, S3PageLinker, DirectoryPageLinker, linkHours, isIncidentId, DEFAULT_LINK_HOURS, MAX_LINK_HOURS, type PageLink, type PageLinker } from './link.ts';
export { incidentPageItems, rewriteIncidentPage, GRAPH_NAME, type IncidentPageDeps } from './incident.ts';
export { isPresignedPageUrl, PAGE_BUTTON_ACTION } from './presigned.ts';
export { pagePathFor, writePageFile } from './file.ts';
