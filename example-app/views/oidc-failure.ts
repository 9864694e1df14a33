import type { UltrapassIdFailureReason } from 'passport-ultracart';
import { problemPage } from './problem.js';

interface Explanation {
  title: string;
  explanation: string;
  /** The status the page answers with: 401 when the sign-in was refused, 403 when it was not this browser's, 400 for a garbled answer. */
  status: 400 | 401 | 403;
}

const LOST: Explanation = {
  title: 'We could not match this verification to your browser',
  explanation:
    'The verification came back to a browser that did not start it, or it was started too long ago. Start it again from your profile, in this browser.',
  status: 403,
};
const GARBLED: Explanation = {
  title: 'The answer from UltrapassId was incomplete',
  explanation: 'UltrapassId sent you back without what we need to finish the verification. Please start it again from your profile.',
  status: 400,
};

/**
 * The app's own words for each reason UltrapassIdStrategy fails with: the strategy's messages are
 * written for the developer and may name settings. A new reason fails to compile here.
 */
const EXPLANATIONS: Record<UltrapassIdFailureReason, Explanation> = {
  noPendingSignIn: LOST,
  stateMismatch: LOST,
  incompletePending: LOST,
  startedBeforeUpgrade: {
    title: 'This verification was started before an update',
    explanation:
      'The site was updated while you were verifying, so this verification cannot be finished. Start it again from your profile.',
    status: 403,
  },
  hostMismatch: {
    title: 'The verification began at another address of this site',
    explanation: 'You started verifying at one address of this site and came back to another. Start again from the address you are on now.',
    status: 403,
  },
  secureCookieOnHttp: {
    title: 'This site needs a secure connection to verify you',
    explanation: 'This page was opened without a secure (https) connection. Open the site with https:// and start again from your profile.',
    status: 403,
  },
  sameSiteStrict: {
    title: 'This site cannot finish a verification right now',
    explanation: 'This is a problem of the site, not of your identity: please tell its owner.',
    status: 403,
  },
  sessionNotRestored: {
    title: 'This site could not read back your verification',
    explanation: 'Your verification finished, but the site could not read it back. This is a problem of the site: please tell its owner.',
    status: 403,
  },
  stateMalformed: GARBLED,
  missingCode: GARBLED,
  malformedCode: GARBLED,
  formUnreadable: GARBLED,
  expired: {
    title: 'This verification has expired',
    explanation: 'A verification works only for a few minutes. Nothing is wrong with your account: start it again from your profile.',
    status: 403,
  },
  alreadyUsed: {
    title: 'This verification link was already used',
    explanation: 'This link has already been used, perhaps by reloading the page or in another tab. Your profile shows your verification.',
    status: 403,
  },
  denied: {
    title: 'Verification was cancelled',
    explanation:
      'You (or UltrapassId) cancelled the verification, so nothing was shared with this site. You can try again whenever you like.',
    status: 401,
  },
  upstreamRefused: {
    title: 'UltrapassId did not finish the verification',
    explanation: 'UltrapassId stopped the verification before it finished. Please try again in a moment.',
    status: 401,
  },
  codeRejected: {
    title: 'UltrapassId did not accept this verification',
    explanation: 'UltrapassId says this verification has expired or was already used. Please start it again from your profile.',
    status: 401,
  },
  idTokenRejected: {
    title: 'We could not confirm UltrapassId’s answer',
    explanation: 'The answer could not be confirmed as coming from UltrapassId, so nothing was recorded. Please try again.',
    status: 401,
  },
  issuerMismatch: {
    title: 'The answer came from somewhere else',
    explanation: 'The answer did not come from UltrapassId, where this verification was sent, so nothing was recorded. Please try again.',
    status: 403,
  },
  notAllowed: {
    title: 'This identity cannot be used here',
    explanation: 'UltrapassId recognised you, but this site does not accept this identity. Ask the site owner for help.',
    status: 403,
  },
};

const UNKNOWN: Explanation = {
  title: 'Verification did not finish',
  explanation: 'The identity verification did not complete. Start it again from your profile.',
  status: 401,
};

/** The reason named by the failure redirect's `?reason=`, if it is one the strategy fails with; anything else is unknown. */
export function oidcReasonFrom(value: unknown): UltrapassIdFailureReason | undefined {
  return typeof value === 'string' && Object.hasOwn(EXPLANATIONS, value) ? (value as UltrapassIdFailureReason) : undefined;
}

/** The verification failure page for `reason` and the status to send it with. */
export function oidcFailurePage(reason: UltrapassIdFailureReason | undefined, notice?: string): { status: number; body: string } {
  const { title, explanation, status } = reason ? EXPLANATIONS[reason] : UNKNOWN;
  return {
    status,
    body: problemPage({
      kind: reason ? `oidc-${reason}` : 'oidc-verification-failed',
      title,
      explanation,
      next: { href: '/profile', label: 'Back to your profile', id: 'back-to-profile' },
      notice,
    }),
  };
}

/**
 * For a verified user who reloads or reopens the used callback: not a failure, since the
 * verification they just finished stands.
 */
export function alreadyVerifiedPage(verifiedAt: string, notice?: string): string {
  return problemPage({
    kind: 'oidc-already-verified',
    title: 'Your identity is already verified',
    explanation: `This verification link was already used. UltrapassId verified your identity on ${new Date(verifiedAt).toUTCString()}.`,
    next: { href: '/profile', label: 'Back to your profile', id: 'back-to-profile' },
    notice,
  });
}
