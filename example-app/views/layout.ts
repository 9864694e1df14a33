import { html, type SafeHtml } from './html.js';

/** Path of the one stylesheet; served by the app itself so the CSP can stay `style-src 'self'`. */
export const STYLESHEET_PATH = '/assets/style.css';

export interface PageInput {
  title: string;
  body: SafeHtml;
  /** The signed-in user's name, to show the sign-out button in the header. */
  signedInAs?: string;
  /** Needed with `signedInAs`: the sign-out form posts it. */
  csrfToken?: string;
  /** A line across the top, e.g. that the app runs against emulators. */
  notice?: string;
}

/** The frame every page shares: header, optional notice, content. No scripts, no external resources. */
export function page({ title, body, signedInAs, csrfToken, notice }: PageInput): string {
  const account =
    signedInAs !== undefined && csrfToken !== undefined
      ? html`<div class="account">
          <span id="signed-in-as">Signed in as <strong>${signedInAs}</strong></span>
          <form method="post" action="/logout" class="inline">
            <input type="hidden" name="_csrf" value="${csrfToken}" />
            <button type="submit" id="sign-out" class="secondary">Sign out</button>
          </form>
        </div>`
      : html``;
  return html`<!doctype html>
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <title>${title} · passport-ultracart example</title>
        <link rel="stylesheet" href="${STYLESHEET_PATH}" />
      </head>
      <body>
        <header class="top">
          <a class="brand" href="/" id="home">passport-ultracart <span>example</span></a>
          ${account}
        </header>
        ${notice !== undefined ? html`<aside class="notice" id="notice" aria-label="About this demo">${notice}</aside>` : ''}
        <main>${body}</main>
      </body>
    </html> `.value;
}
