import type { Request } from 'express';
import { UAUTH_DEFAULT_SESSION_KEY, type UAuthSessionRecord } from 'passport-ultracart';

/** What the app remembers after an UltrapassId workflow came back and was checked. */
export interface Verification {
  workflowKey: string;
  policyId: string | null;
  /** ISO-8601. */
  verifiedAt: string;
}

declare module 'express-session' {
  interface SessionData {
    /** Written by `uauth()` (its default `sessionKey`) when it sends the browser to UltrapassId. */
    [UAUTH_DEFAULT_SESSION_KEY]?: UAuthSessionRecord;
    verification?: Verification;
    /** Where passport's `failureMessage` option puts a strategy's failure message (the OpenID Connect verification uses it). */
    messages?: string[];
  }
}

/** How long a started verification may take before its return is refused. */
export const VERIFICATION_TTL_MS = 30 * 60 * 1000;

export function readVerification(req: Request): Verification | undefined {
  return req.session?.verification;
}
