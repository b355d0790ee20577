// Which link Slack's last redaction fence lets through. No AWS SDK here: lib/slack imports it.
// A presigned GET of an evidence page: the one credential-bearing URL Leakhound posts on purpose
// (bounded in time, read-only, one object). Slack's last redaction fence keeps it only in a link
// button's `url` and only in this exact shape; anywhere else it is redacted like any other.
const PRESIGNED_PAGE = /^https:\/\/[A-Za-z0-9.-]+(?::\d+)?\/(?:[A-Za-z0-9._-]+\/)?[A-Za-z0-9._/-]*incidents\/[A-Za-z0-9._:%-]+\/evidence\.html\?X-Amz-Algorithm=AWS4-HMAC-SHA256&[A-Za-z0-9%._~=&-]+$/;

export function isPresignedPageUrl(url: string): boolean {
  return url.length <= 3000 && PRESIGNED_PAGE.test(url) && /[?&]X-Amz-Expires=\d+(&|$)/.test(url);
}

/** Action id of the link button (Slack still sends its click; the app only acks it). */
export const PAGE_BUTTON_ACTION = 'leakhound_evidence_page';
