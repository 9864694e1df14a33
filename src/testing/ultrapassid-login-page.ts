import { escapeHtml } from './server-kit.js';

export interface UltrapassIdPerson {
  /** The emulator's own identifier for the person; the `sub` is derived from it per organization. */
  id: string;
  name: string;
  /** Extra claims to put in this person's ID tokens. */
  claims?: Record<string, unknown>;
}

type LoginPageInput =
  | { kind: 'login'; requestId: string; people: UltrapassIdPerson[]; appName: string }
  | { kind: 'expired' }
  | { kind: 'refused'; why: string };

/** The emulator's stand-in for UltrapassId's face scan: pick the person, approve or cancel. */
export function ultrapassIdLoginPage(input: LoginPageInput): string {
  let body: string;
  if (input.kind === 'expired') {
    body = '<h1>This verification has expired</h1><p>Go back to the application and start again.</p>';
  } else if (input.kind === 'refused') {
    body = `<h1>This request cannot be completed</h1><p>${escapeHtml(input.why)}</p>`;
  } else {
    body = `<h1>Verify with UltrapassId</h1>
      <p class="note">UltrapassId emulator: this page stands in for the face scan. Choose who is in front of the camera.
      <strong>${escapeHtml(input.appName)}</strong> will receive only a per-organization identifier.</p>
      <form method="post" action="/login">
        <input type="hidden" name="request" value="${escapeHtml(input.requestId)}">
        <fieldset>
          <legend>Person</legend>
          ${input.people
            .map(
              (person, i) =>
                `<label><input type="radio" name="person" value="${escapeHtml(person.id)}"${i === 0 ? ' checked' : ''}> ${escapeHtml(person.name)}</label>`,
            )
            .join('\n          ')}
        </fieldset>
        <div class="actions">
          <button type="submit" name="decision" value="approve" id="approve">Approve</button>
          <button type="submit" name="decision" value="cancel" id="cancel" class="secondary">Cancel</button>
        </div>
      </form>`;
  }
  return page('UltrapassId verification (emulator)', body);
}

/** The `form_post` answer: a form that posts itself to the application's redirect_uri. */
export function formPostPage(action: string, fields: Record<string, string>, nonce: string): string {
  const inputs = Object.entries(fields)
    .map(([name, value]) => `<input type="hidden" name="${escapeHtml(name)}" value="${escapeHtml(value)}">`)
    .join('');
  return page(
    'Returning to the application',
    `<form method="post" action="${escapeHtml(action)}" id="response">${inputs}
      <p>Returning to the application…</p><noscript><button type="submit">Continue</button></noscript></form>
      <script nonce="${nonce}">document.getElementById('response').submit();</script>`,
  );
}

function page(title: string, body: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<style>
  body { font-family: system-ui, sans-serif; background: #f1f4f9; color: #1b2430; margin: 0; overflow-wrap: anywhere; }
  main { width: min(26rem, 100% - 2rem); box-sizing: border-box; margin: 4rem auto; background: #fff; padding: 2rem; border-radius: 10px; box-shadow: 0 2px 12px rgba(0,0,0,.08); }
  h1 { font-size: 1.35rem; margin-top: 0; }
  .note { color: #56606d; font-size: .9rem; line-height: 1.45; }
  fieldset { margin: 0; border: 1px solid #d6dce5; border-radius: 8px; padding: .75rem 1rem; }
  label { display: block; padding: .35rem 0; }
  .actions { display: flex; gap: .75rem; margin-top: 1.25rem; }
  button { font: inherit; padding: .6rem 1.1rem; border-radius: 6px; border: 2px solid transparent; background: #5a2ca0; color: #fff; cursor: pointer; }
  button.secondary { background: #e7e9ee; color: #1b2430; }
  button:focus-visible { outline: 3px solid #1b2430; outline-offset: 2px; }
</style></head>
<body><main>${body}</main></body></html>`;
}
