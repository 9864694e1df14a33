import { Router, type Request, type RequestHandler } from 'express';
import { uauth, UAuthClient, uauthReturnCheck, type UAuthReturnReason, type UsedStateLedger } from 'passport-ultracart';
import { sendPage, type AppContext } from '../context.js';
import { currentUser } from '../user.js';
import { readVerification, VERIFICATION_TTL_MS } from '../verification.js';
import { problemPage } from '../views/problem.js';
import { verifyResultPage } from '../views/verify-result.js';
import { requireUser } from './guards.js';

export const VERIFY_PATH = '/verify';
export const VERIFY_RETURN_PATH = '/verify/return';
export const VERIFY_RESULT_PATH = '/verify/result';

type Refusal = 'none-pending' | 'mismatch' | 'already-used' | 'expired' | 'workflow' | 'misconfigured';

/** The package's reasons, grouped into what the person can be told. */
function refusalFor(reason: UAuthReturnReason): Refusal {
  if (reason === 'alreadyUsed') return 'already-used';
  if (reason === 'expired') return 'expired';
  if (reason === 'stateMismatch' || reason === 'stateMalformed') return 'mismatch';
  if (reason === 'secureCookieOnHttp' || reason === 'sameSiteStrict' || reason === 'sessionNotRestored') return 'misconfigured';
  return 'none-pending';
}

const REFUSALS: Record<Refusal, { title: string; explanation: string }> = {
  'none-pending': {
    title: 'No verification was started here',
    explanation:
      'This browser has no identity verification in progress, so the link you followed cannot be used here. Start the verification again from your profile.',
  },
  mismatch: {
    title: 'This verification belongs to someone else',
    explanation:
      'The link you followed does not match the verification this browser started. For your safety it was not accepted. Start the verification again from your profile.',
  },
  'already-used': {
    title: 'This verification was already used',
    explanation:
      'The link you followed was already used to finish this verification, perhaps in another tab. Start the verification again from your profile if you need to.',
  },
  expired: {
    title: 'This verification took too long',
    explanation: 'The identity verification was started too long ago. Start it again from your profile.',
  },
  misconfigured: {
    title: 'This site is not set up correctly',
    explanation:
      'The verification could not be matched to this browser because of how this site is set up, not because of anything you did. Please let the site owner know.',
  },
  workflow: {
    title: 'This verification ran a different workflow',
    explanation:
      'UltrapassId reported a different workflow than the one this site started, so the result was not accepted. Start the verification again from your profile.',
  },
};

/**
 * The UltrapassId round trip: a POST that `uauth()` turns into a 303 to the workflow page, the
 * return route that checks the browser came back with the session this browser started, and the
 * result page.
 */
export function verifyRoutes(ctx: AppContext, verifyLimit: RequestHandler, usedReturns: UsedStateLedger): Router {
  const router = Router();
  const { uauth: settings } = ctx.settings;
  const connection = {
    organizationKey: settings.organizationKey,
    baseURL: settings.baseURL,
    ...(settings.apiKeyHeader !== undefined && { apiKeyHeader: settings.apiKeyHeader }),
  };
  const client = new UAuthClient(connection);
  // Each concurrent request holds its own copy of the session, so all of them find the record
  // pending; the ledger (Redis when configured, so every instance) lets exactly one through.
  const checkReturn = uauthReturnCheck({ usedStates: usedReturns, maxAgeMs: VERIFICATION_TTL_MS });

  // CSRF is checked app-wide before this; the rate limit and sign-in check come before any upstream call.
  router.post(
    VERIFY_PATH,
    verifyLimit,
    requireUser,
    uauth<Request>({ ...connection, workflowKey: settings.workflowKey, allowedRedirectOrigins: settings.allowedRedirectOrigins }),
  );

  router.get(VERIFY_RETURN_PATH, async (req, res) => {
    const check = await checkReturn(req);
    if (!check.ok) return refuse(ctx, res, refusalFor(check.reason));
    const session = await client.getSession(check.sessionId);
    // The workflow read back must be the one we started, not whatever the returned id points at.
    if (session.workflowKey.toLowerCase() !== check.workflowKey.toLowerCase()) return refuse(ctx, res, 'workflow');
    req.session.verification = { workflowKey: session.workflowKey, policyId: session.policyId, verifiedAt: new Date().toISOString() };
    // Redirected, so the address bar and history keep no session id; no-store as for the UltraCart callback.
    res.set('Cache-Control', 'no-store').redirect(303, VERIFY_RESULT_PATH);
  });

  router.get(VERIFY_RESULT_PATH, requireUser, (req, res) => {
    const verification = readVerification(req);
    if (!verification) return res.redirect(302, '/profile');
    const user = currentUser(req)!;
    sendPage(res, 200, verifyResultPage({ verification, signedInAs: user.name, csrfToken: ctx.csrfToken(req, res), notice: ctx.notice }));
  });

  return router;
}

function refuse(ctx: AppContext, res: Parameters<RequestHandler>[1], why: keyof typeof REFUSALS): void {
  const { title, explanation } = REFUSALS[why];
  ctx.report(`verify return refused: ${why}`);
  sendPage(
    res,
    403,
    problemPage({
      kind: `verification-${why}`,
      title,
      explanation,
      next: { href: '/profile', label: 'Back to your profile', id: 'back-to-profile' },
      notice: ctx.notice,
    }),
  );
}
