import { html } from './html.js';
import { page } from './layout.js';

/** What the page knows of the connected store; never a token. */
export interface StoreConnectionView {
  merchantId: string | null;
  merchantIdSource: string;
  scopes: string[];
  /** ISO-8601, or null when UltraCart gave no lifetime. */
  expiresAt: string | null;
  connectedAt: string;
}

/** The last API call's answer, as shown: a few item ids and descriptions. */
export interface ApiCallView {
  at: string;
  items: Array<{ id: string; description: string }>;
  total: number | null;
}

export interface StorePageInput {
  signedInAs: string;
  csrfToken: string;
  connection: StoreConnectionView | undefined;
  lastCall: ApiCallView | undefined;
  /** One line about what just happened (connected, refreshed, a failure), already worded. */
  message?: { text: string; kind: 'ok' | 'problem' } | undefined;
  notice?: string | undefined;
}

const MERCHANT_SOURCES: Record<string, string> = {
  lookup: 'read from UltraCart’s answer to the first API call',
  'not-found': 'UltraCart’s answer named no merchant (no records yet)',
  failed: 'the first API call failed (is item_read granted?)',
  'not-asked': 'not looked up: UltraCart has no “who am I” call',
};

/** "Connect your UltraCart store": the connection, an API call with its token, refresh now, disconnect. */
export function storePage({ signedInAs, csrfToken, connection, lastCall, message, notice }: StorePageInput): string {
  const form = (action: string, id: string, label: string, secondary = false) =>
    html`<form method="post" action="${action}" class="inline">
      <input type="hidden" name="_csrf" value="${csrfToken}" />
      <button type="submit" id="${id}" class="${secondary ? 'secondary' : ''}">${label}</button>
    </form>`;
  const status = message
    ? html`<p id="store-message" class="${message.kind === 'ok' ? 'yes' : 'no'}" role="status">${message.text}</p>`
    : '';
  const body = connection
    ? html`<h1>Your UltraCart store</h1>
        ${status}
        <dl id="store-connection">
          <dt>Merchant</dt>
          <dd id="store-merchant">
            ${connection.merchantId ?? 'unknown'} <span class="hint">(${MERCHANT_SOURCES[connection.merchantIdSource] ?? ''})</span>
          </dd>
          <dt>Permissions granted</dt>
          <dd id="store-scopes">${connection.scopes.length > 0 ? connection.scopes.join(', ') : '(UltraCart listed none)'}</dd>
          <dt>Access token expires</dt>
          <dd id="store-expires">
            ${connection.expiresAt ? html`<time datetime="${connection.expiresAt}">${new Date(connection.expiresAt).toUTCString()}</time>` : 'UltraCart gave no lifetime'}
          </dd>
          <dt>Connected</dt>
          <dd><time datetime="${connection.connectedAt}">${new Date(connection.connectedAt).toUTCString()}</time></dd>
        </dl>
        <div class="actions">
          ${form('/store/api-call', 'store-api-call', 'Call the UltraCart API')}
          ${form('/store/refresh', 'store-refresh', 'Refresh the token now', true)}
          ${form('/store/disconnect', 'store-disconnect', 'Disconnect', true)}
        </div>
        ${
          lastCall
            ? html`<h2>
                  Items, from <code>GET /item/items</code> at <time datetime="${lastCall.at}">${new Date(lastCall.at).toUTCString()}</time>
                </h2>
                <table id="store-items">
                  <thead>
                    <tr>
                      <th>Item</th>
                      <th>Description</th>
                    </tr>
                  </thead>
                  <tbody>
                    ${lastCall.items.map(
                      (item) =>
                        html`<tr>
                          <td>${item.id}</td>
                          <td>${item.description}</td>
                        </tr>`,
                    )}
                  </tbody>
                </table>
                <p class="hint" id="store-items-total">${lastCall.total === null ? '' : `${lastCall.total} items in the store.`}</p>`
            : ''
        }`
    : html`<h1>Connect your UltraCart store</h1>
        ${status}
        <p class="lead">
          Let this app work with your UltraCart account: you approve it once on UltraCart’s page, and it gets a token for your store (OAuth
          2.0). You can disconnect at any time.
        </p>
        <div class="actions"><a class="button" id="store-connect" href="/store/connect">Connect your UltraCart store</a></div>`;
  return page({
    title: 'Your UltraCart store',
    signedInAs,
    csrfToken,
    notice,
    body: html`${body}
      <p><a href="/profile" id="back-to-profile">Back to your profile</a></p>`,
  });
}
