import type { Verification } from '../verification.js';
import { html } from './html.js';
import { page } from './layout.js';

/** What UltrapassId reported for the workflow the user just completed. */
export function verifyResultPage(input: { verification: Verification; signedInAs: string; csrfToken: string; notice?: string }): string {
  const { verification } = input;
  return page({
    title: 'Identity verified',
    signedInAs: input.signedInAs,
    csrfToken: input.csrfToken,
    notice: input.notice,
    body: html`<h1>Identity verification finished</h1>
      <p class="lead">UltrapassId finished the guided check for you.</p>
      <dl id="verification">
        <dt>Check reference</dt>
        <dd id="workflow-key">${verification.workflowKey}</dd>
        <dt>Rules reference</dt>
        <dd id="policy-id">${verification.policyId ?? '(none)'}</dd>
        <dt>Finished</dt>
        <dd><time datetime="${verification.verifiedAt}">${new Date(verification.verifiedAt).toUTCString()}</time></dd>
      </dl>
      <div class="actions"><a class="button" id="back-to-profile" href="/profile">Back to your profile</a></div>`,
  });
}
