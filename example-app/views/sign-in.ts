import { html } from './html.js';
import { page } from './layout.js';

/**
 * The landing page: one button that starts the UltraCart sign-in. `sessionNotFound`: the browser
 * was sent here because its session cookie named a session this site does not know.
 */
export function signInPage(input: {
  returnTo: string | undefined;
  sessionNotFound?: boolean;
  signedOut?: boolean;
  notice?: string;
}): string {
  const href = input.returnTo === undefined ? '/auth/ultracart' : `/auth/ultracart?returnTo=${encodeURIComponent(input.returnTo)}`;
  return page({
    title: 'Sign in',
    notice: input.notice,
    body: html`${input.signedOut ? html`<p class="confirmation" id="signed-out" role="status">You are signed out.</p>` : ''}
      <h1>Sign in</h1>
      ${
        input.sessionNotFound
          ? html`<p class="problem" id="session-not-found">
              Your session was not found. If it had simply ended, sign in again. If you signed in a moment ago, this site is not set up
              correctly (its servers do not share sessions): signing in again may not help, please tell its owner.
            </p>`
          : ''
      }
      <p class="lead">
        This shop lets UltraCart merchants sign in with their UltraCart account. You will be sent to UltraCart to approve, then brought back
        here.
      </p>
      <div class="actions">
        <a class="button" id="sign-in" href="${href}">Sign in with UltraCart</a>
      </div>
      <p class="hint">Nothing is shared until you approve on UltraCart's page. You can cancel there.</p>`,
  });
}
