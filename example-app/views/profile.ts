import type { OidcVerification } from '../passport.js';
import type { AppUser } from '../user.js';
import type { Verification } from '../verification.js';
import { html } from './html.js';
import { page } from './layout.js';

export interface ProfileInput {
  user: AppUser;
  /** When the session ends (ms since the epoch), as `routes/auth.ts` set it at sign-in. */
  sessionEndsAt?: number | undefined;
  csrfToken: string;
  verification: Verification | undefined;
  oidcVerification?: OidcVerification | undefined;
  notice?: string;
}

/** The session's own deadline, and why it is then: the key's expiry, or the longest session allowed. */
function sessionEnds(user: AppUser, endsAt: number | undefined): ReturnType<typeof html> {
  if (endsAt === undefined) return html`UltraCart gave no expiry`;
  const at = new Date(endsAt);
  const byKey = user.keyExpiresAt !== null && new Date(user.keyExpiresAt).getTime() === endsAt;
  const why = byKey
    ? html`(when UltraCart's key for this sign-in expires)`
    : user.keyExpiresAt === null
      ? html`(the longest a session lasts here; UltraCart gave no expiry for its key)`
      : html`(the longest a session lasts here; UltraCart's key would last longer)`;
  return html`<time datetime="${at.toISOString()}">${at.toUTCString()}</time> ${why}`;
}

/** Who is signed in, what UltraCart says they may do, and the UltrapassId verification action. */
export function profilePage({ user, sessionEndsAt, csrfToken, verification, oidcVerification, notice }: ProfileInput): string {
  const permissions =
    user.permissions.length === 0
      ? html`<p class="hint">UltraCart listed no permissions for this user.</p>`
      : html`<table id="permissions">
          <thead>
            <tr>
              <th>Group</th>
              <th>Permission</th>
              <th>Granted</th>
            </tr>
          </thead>
          <tbody>
            ${user.permissions.map(
              (p) =>
                html`<tr>
                  <td>${p.group}</td>
                  <td>${p.name}</td>
                  <td class="${p.granted ? 'yes' : 'no'}">${p.granted ? 'yes' : 'no'}</td>
                </tr>`,
            )}
          </tbody>
        </table>`;
  return page({
    title: 'Your profile',
    signedInAs: user.name,
    csrfToken,
    notice,
    body: html`<h1>Hello, ${user.name}</h1>
      <dl id="profile">
        <dt>Name</dt>
        <dd id="profile-name">${user.name}</dd>
        <dt>Login</dt>
        <dd id="profile-login">${user.login ?? '(none)'}</dd>
        <dt>Email</dt>
        <dd id="profile-email">${user.email ?? '(none)'}</dd>
        <dt>UltraCart account number</dt>
        <dd id="profile-id">${user.id}</dd>
        <dt>Session ends</dt>
        <dd id="key-expires">${sessionEnds(user, sessionEndsAt)}</dd>
      </dl>
      <p><a href="/store" id="store-link">Connect your UltraCart store</a> (OAuth 2.0: an app working with your store’s data)</p>
      <h2>Permissions at UltraCart</h2>
      ${permissions}
      <h2>Identity verification</h2>
      <p class="hint">
        UltrapassId can confirm that you are who you say you are. Either way below ends with UltrapassId sending you back here.
      </p>
      ${
        oidcVerification
          ? html`<p id="oidc-verification-status">
              Verified with UltrapassId on
              <time id="oidc-verified-at" datetime="${oidcVerification.verifiedAt}"
                >${new Date(oidcVerification.verifiedAt).toUTCString()}</time
              >. UltrapassId knows you here as <code id="oidc-subject">${oidcVerification.subject}</code>.
            </p>`
          : html`<p id="oidc-verification-status">Not verified with UltrapassId yet.</p>`
      }
      <form method="post" action="/verify/oidc" class="actions">
        <input type="hidden" name="_csrf" value="${csrfToken}" />
        <button type="submit" id="verify-oidc">Verify identity with UltrapassId</button>
      </form>
      <h3>Or: UltrapassId's guided check</h3>
      ${
        verification
          ? html`<p id="verification-status">
              Checked with UltrapassId's guided check on
              <time datetime="${verification.verifiedAt}">${new Date(verification.verifiedAt).toUTCString()}</time>.
              <a href="/verify/result" id="verification-details">Details</a>
            </p>`
          : html`<p id="verification-status">No guided check yet. UltrapassId will guide you through it, then send you back here.</p>`
      }
      <form method="post" action="/verify" class="actions">
        <input type="hidden" name="_csrf" value="${csrfToken}" />
        <button type="submit" id="verify" class="secondary">Start the guided check</button>
      </form>`,
  });
}
