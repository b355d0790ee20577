// Public surface of the evidence page: one self-contained HTML page per incident.
export type * from './model.ts';
export { DEFAULT_LIMITS } from './model.ts';
export { renderEvidencePage, PAGE_CSP } from './render.ts';
export { escapeHtml } from './html.ts';
