/** What the authorize leg sends the browser with. */
export interface AuthorizeRequest {
  clientId: string;
  /** Sent verbatim: UltraCart compares it with the app's registered redirect URL. */
  redirectUri: string;
  state: string;
}

/**
 * UltraCart's approval page for this request: `GET /oauth/authorize` with `response_type=code`,
 * `client_id`, `redirect_uri` and `state`, all required. No `scope` (UltraCart takes the
 * permissions ticked when the app was registered) and no PKCE (none is documented), so `state`
 * is the only defence against a forged callback.
 */
export function authorizeURL(endpoint: string, request: AuthorizeRequest): string {
  const url = new URL(endpoint);
  url.search = new URLSearchParams({
    response_type: 'code',
    client_id: request.clientId,
    redirect_uri: request.redirectUri,
    state: request.state,
  }).toString();
  return url.href;
}
