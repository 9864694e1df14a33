import type { IncomingMessage } from 'node:http';
import { queryOf, readParam } from '../http/query.js';

/** How a strategy's vendor and flow are named in the messages a person reads. */
export interface VendorWords {
  /** The vendor's name as people know it: `UltraCart`, `UltrapassId`. */
  vendor: string;
  /** What the person is doing: `sign-in`, `verification`, `connection`. */
  noun: string;
  /** The sentence that tells them what to do next: `Please sign in again.` */
  retry: string;
  /** Said when the app's verify function refuses without a message of its own. */
  notAllowed: string;
}

/**
 * The messages every strategy can fail a callback with, worded for the person in front of the
 * browser: what happened and what to do, never how the site is set up (that goes to the log).
 * Each names the likely cause without revealing a secret.
 */
export function sharedMessages(words: VendorWords) {
  const { vendor, noun, retry } = words;
  const Noun = noun.charAt(0).toUpperCase() + noun.slice(1);
  return {
    noPendingSignIn:
      `This browser has no ${noun} in progress here. It may have been started in another browser or window, or it ` +
      `may have expired. ${retry}`,
    secureCookieOnHttp: `This site is not set up correctly to finish the ${noun}, so it could not be completed. Please let the site owner know.`,
    sameSiteStrict: `This site is not set up correctly to finish a ${noun} started at ${vendor}. Please let the site owner know.`,
    hostMismatch:
      `The ${noun} was started at a different address of this site than the one ${vendor} sent you back to, so this ` +
      `browser could not be matched to it. Open the site at its usual address. ${retry}`,
    sessionNotRestored: `This site could not read back your ${noun} after it finished. Please let the site owner know.`,
    stateMismatch: `This ${noun} does not match one started in this browser, so it was not accepted. ${retry}`,
    stateMalformed: `The answer from ${vendor} could not be read. ${retry}`,
    formUnreadable: `The answer from ${vendor} could not be read. ${retry}`,
    startedBeforeUpgrade: `This ${noun} was started before the site was updated and cannot be finished. ${retry}`,
    expired: `This ${noun} took too long and has expired. ${retry}`,
    alreadyUsed: `This ${noun} link was already used. If you need to, start again.`,
    denied: `${Noun} was cancelled at ${vendor}.`,
    upstreamRefused: `${vendor} did not complete the ${noun}. ${retry}`,
    missingCode: `The answer from ${vendor} was incomplete. ${retry}`,
    malformedCode: `The answer from ${vendor} could not be read. ${retry}`,
    codeRejected: `${vendor} refused to complete this ${noun}: it has expired or was already used. ${retry}`,
    notAllowed: words.notAllowed,
  } as const;
}

/** A reason every strategy may fail a callback with (vendors add their own). */
export type SharedFailureReason = keyof ReturnType<typeof sharedMessages>;

/** The query parameter carrying the reason to the failure page. */
export const REASON_PARAM = 'reason';

/**
 * The failure reason a strategy put in the `failureRedirect` it sent the browser to
 * (`/login/failed?reason=expired`), if it is one of `messages`' keys; anything else is undefined,
 * so a crafted link cannot put its own words on the failure page.
 *
 * @example
 * app.get('/login/failed', (req, res) => {
 *   const reason = readFailureReason(req, UltraCartFailureMessages);
 *   res.status(401).send(reason ? UltraCartFailureMessages[reason] : 'The sign-in did not complete.');
 * });
 */
export function readFailureReason<M extends Record<string, string>>(req: IncomingMessage, messages: M): (keyof M & string) | undefined {
  const param = readParam(queryOf(req), REASON_PARAM);
  return param.kind === 'string' && Object.hasOwn(messages, param.value) ? (param.value as keyof M & string) : undefined;
}
