/**
 * Text meant for the developer (settings, middleware, protocol terms, the strategies' "Unable to
 * verify authorization request state" prefix), which no page written for the user shows.
 */
export const DEVELOPER_WORDS =
  /Unable to verify|authorization request state|SameSite|Secure cookie|cookie on a|passport\.\w|session\(\)|form_post|OpenID|state parameter|\bcode\b|id token|issuer/i;

/** What a person reads on a page: its text without markup or the stylesheet. */
export function visibleText(html: string): string {
  return html.replace(/<style[\s\S]*?<\/style>|<[^>]+>/g, ' ');
}
