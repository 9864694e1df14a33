import { html } from './html.js';
import { page } from './layout.js';

/** The landing page: one button that starts the UltraCart sign-in. */
export function signInPage(input: { returnTo: string | undefined; notice?: string }): string {
  const href = input.returnTo === undefined ? '/auth/ultracart' : `/auth/ultracart?returnTo=${encodeURIComponent(input.returnTo)}`;
  return page({
    title: 'Sign in',
    notice: input.notice,
    body: html`<h1>Sign in</h1>
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
