import type { UltraCartUser } from '../ultracart/user.js';
import { escapeHtml } from './server-kit.js';

interface LoginPageInput {
  expired: boolean;
  requestId: string;
  users: UltraCartUser[];
}

/** The emulator's stand-in for UltraCart's login page: pick a user, approve or cancel. */
export function loginPage({ expired, requestId, users }: LoginPageInput): string {
  const body = expired
    ? '<h1>This sign-in link has expired</h1><p>Go back to the application and start again.</p>'
    : `<h1>Sign in to UltraCart</h1>
      <p class="note">UltraCart emulator: choose who signs in. No password is asked.</p>
      <form method="post" action="/login">
        <input type="hidden" name="request" value="${escapeHtml(requestId)}">
        <fieldset>
          <legend>Account</legend>
          ${users
            .map(
              (user, i) => `<label><input type="radio" name="login" value="${escapeHtml(user.login ?? '')}"${i === 0 ? ' checked' : ''}>
            ${escapeHtml(user.full_name ?? user.login ?? String(user.user_id))} <small>(${escapeHtml(user.login ?? '')})</small></label>`,
            )
            .join('\n')}
        </fieldset>
        <div class="actions">
          <button type="submit" name="decision" value="approve" id="approve">Approve sign-in</button>
          <button type="submit" name="decision" value="deny" id="deny" class="secondary">Cancel</button>
        </div>
      </form>`;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>UltraCart sign-in (emulator)</title>
<style>
  body { font-family: system-ui, sans-serif; background: #f3f5f8; color: #1d2733; margin: 0; overflow-wrap: anywhere; }
  main { width: min(26rem, 100% - 2rem); box-sizing: border-box; margin: 4rem auto; background: #fff; padding: 2rem; border-radius: 10px; box-shadow: 0 2px 12px rgba(0,0,0,.08); }
  h1 { font-size: 1.35rem; margin-top: 0; }
  .note { color: #5b6776; font-size: .9rem; line-height: 1.45; }
  fieldset { margin: 0; border: 1px solid #d8dee6; border-radius: 8px; padding: .75rem 1rem; }
  label { display: block; padding: .35rem 0; }
  .actions { display: flex; gap: .75rem; margin-top: 1.25rem; }
  button { font: inherit; padding: .6rem 1.1rem; border-radius: 6px; border: 2px solid transparent; background: #0b5cab; color: #fff; cursor: pointer; }
  button.secondary { background: #e6ebf1; color: #1d2733; }
</style></head>
<body><main>${body}</main></body></html>`;
}
