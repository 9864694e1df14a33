/** The few pages of the Fastify example: plain HTML, every value escaped. */

export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function page(title: string, body: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title></head><body><main>${body}</main></body></html>`;
}

export interface HomeView {
  user: { name: string; login: string } | null;
  verifiedWith: string | null;
  /** The subject UltrapassId's OpenID Connect sign-in verified. */
  oidcSubject?: string | null;
}

export function homePage({ user, verifiedWith, oidcSubject }: HomeView): string {
  if (!user) {
    return page('Sign in', '<h1>Not signed in</h1><p><a id="sign-in" href="/login">Sign in with UltraCart</a></p>');
  }
  const verified = verifiedWith
    ? `<p id="verified">Identity verified (policy ${escapeHtml(verifiedWith)}).</p>`
    : '<form method="post" action="/verify"><button id="verify">Verify my identity with UltrapassId</button></form>';
  const oidc = oidcSubject
    ? `<p id="oidc-verified">Verified with UltrapassId (OpenID Connect) as ${escapeHtml(oidcSubject)}.</p>`
    : '<form method="post" action="/verify/oidc"><button id="verify-oidc">Verify with UltrapassId (OpenID Connect)</button></form>';
  return page(
    'Signed in',
    `<h1 id="signed-in-as">Signed in as ${escapeHtml(user.name)} (${escapeHtml(user.login)})</h1>${verified}${oidc}` +
      '<form method="post" action="/logout"><button id="sign-out">Sign out</button></form>',
  );
}

/** A failed sign-in: the strategy's reason (a stable code) and its message, written for the user. */
export function failurePage(reason: string | null, message: string): string {
  return page(
    'Sign-in did not finish',
    `<h1 id="failure" data-reason="${escapeHtml(reason ?? 'unknown')}">Sign-in did not finish</h1><p>${escapeHtml(message)}</p>` +
      '<p><a href="/login">Try again</a></p>',
  );
}

export function problemPage(status: number, message: string, retryAfter: string | undefined): string {
  const retry = retryAfter ? ` Please try again in ${escapeHtml(retryAfter)} seconds.` : '';
  return page(
    'Something went wrong',
    `<h1 id="problem" data-status="${status}">Something went wrong</h1><p>${escapeHtml(message)}${retry}</p><p><a href="/">Try again</a></p>`,
  );
}
