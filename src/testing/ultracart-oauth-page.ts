import { escapeHtml } from './server-kit.js';

interface ApprovalPageInput {
  /** Null: the request cannot be approved (unknown app, unregistered redirect URL, expired link). */
  requestId: string | null;
  appName: string;
  merchantId: string;
  scopes: string[];
  problem?: string;
}

/** The emulator's stand-in for UltraCart's "authorize this application" page: approve or decline. */
export function approvalPage({ requestId, appName, merchantId, scopes, problem }: ApprovalPageInput): string {
  const body =
    requestId === null
      ? `<h1>This authorization request cannot be used</h1><p>${escapeHtml(problem ?? 'Go back to the application and start again.')}</p>`
      : `<h1>Authorize ${escapeHtml(appName)}</h1>
      <p class="note">UltraCart emulator: the application asks to act for merchant account <strong>${escapeHtml(merchantId)}</strong>. No password is asked.</p>
      <p>It will be able to:</p>
      <ul>${scopes.map((scope) => `<li><code>${escapeHtml(scope)}</code></li>`).join('')}</ul>
      <form method="post" action="/oauth/approve">
        <input type="hidden" name="request" value="${escapeHtml(requestId)}">
        <div class="actions">
          <button type="submit" name="decision" value="approve" id="authorize-app">Authorize</button>
          <button type="submit" name="decision" value="deny" id="decline-app" class="secondary">Decline</button>
        </div>
      </form>`;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Authorize application (UltraCart emulator)</title>
<style>
  body { font-family: system-ui, sans-serif; background: #f3f5f8; color: #1d2733; margin: 0; overflow-wrap: anywhere; }
  main { width: min(28rem, 100% - 2rem); box-sizing: border-box; margin: 4rem auto; background: #fff; padding: 2rem; border-radius: 10px; box-shadow: 0 2px 12px rgba(0,0,0,.08); }
  h1 { font-size: 1.35rem; margin-top: 0; }
  .note { color: #5b6776; font-size: .9rem; line-height: 1.45; }
  .actions { display: flex; gap: .75rem; margin-top: 1.25rem; }
  button { font: inherit; padding: .6rem 1.1rem; border-radius: 6px; border: 2px solid transparent; background: #0b5cab; color: #fff; cursor: pointer; }
  button.secondary { background: #e6ebf1; color: #1d2733; }
</style></head>
<body><main>${body}</main></body></html>`;
}
