import { escapeHtml } from './server-kit.js';

export type UAuthPageInput =
  { kind: 'workflow'; sessionId: string; workflowKey: string; policyId: string } | { kind: 'unknown' } | { kind: 'done' };

/** The emulator's stand-in for UltrapassId's hosted workflow: show the workflow, complete it. */
export function uauthPage(input: UAuthPageInput): string {
  let body: string;
  switch (input.kind) {
    case 'unknown':
      body =
        '<h1>This verification link is not valid</h1><p>It has expired or was already used. Go back to the application and start again.</p>';
      break;
    case 'done':
      body =
        '<h1>Verification complete</h1><p class="note">UltrapassId emulator: this workflow has no <code>clientRedirectUrl</code>. ' +
        'Pass <code>clientRedirectUrl</code> (or give each workflow one) to send the browser back to your app.</p>';
      break;
    case 'workflow':
      body = `<h1>Verify your identity</h1>
      <p class="note">UltrapassId emulator: no identity check is made. Completing sends you back to the application.</p>
      <dl>
        <dt>Workflow</dt><dd><code>${escapeHtml(input.workflowKey)}</code></dd>
        <dt>Policy</dt><dd><code>${escapeHtml(input.policyId)}</code></dd>
      </dl>
      <form method="post" action="/uauth">
        <input type="hidden" name="sessionId" value="${escapeHtml(input.sessionId)}">
        <button type="submit" id="complete">Complete verification</button>
      </form>`;
      break;
  }
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>UltrapassId verification (emulator)</title>
<style>
  body { font-family: system-ui, sans-serif; background: #f4f2f8; color: #221d33; margin: 0; overflow-wrap: anywhere; }
  main { width: min(28rem, 100% - 2rem); box-sizing: border-box; margin: 4rem auto; background: #fff; padding: 2rem; border-radius: 10px; box-shadow: 0 2px 12px rgba(0,0,0,.08); }
  h1 { font-size: 1.35rem; margin-top: 0; }
  .note { color: #5e5873; font-size: .9rem; }
  dt { font-weight: 600; margin-top: .5rem; }
  dd { margin: 0; word-break: break-all; }
  button { font: inherit; margin-top: 1.25rem; padding: .6rem 1.1rem; border-radius: 6px; border: 2px solid transparent; background: #5a2ca0; color: #fff; cursor: pointer; }
</style></head>
<body><main>${body}</main></body></html>`;
}
