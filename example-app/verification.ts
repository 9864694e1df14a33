import { timingSafeEqual } from 'node:crypto';
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

export type ReturnCheck =
  | { ok: true; sessionId: string; workflowKey: string; expiresAt: number }
  | { ok: false; why: 'none-pending' | 'mismatch' | 'expired' | 'already-used' };

/**
 * Matches the browser's return from UltrapassId against the verification this session started,
 * and uses the record up whatever the outcome, so a return link works once (case 43).
 */
export function takePendingVerification(req: Request, offered: unknown): ReturnCheck {
  const record = req.session[UAUTH_DEFAULT_SESSION_KEY];
  delete req.session[UAUTH_DEFAULT_SESSION_KEY];
  if (!record || typeof record.sessionId !== 'string') return { ok: false, why: 'none-pending' };
  if (typeof offered !== 'string' || !sameId(record.sessionId, offered)) return { ok: false, why: 'mismatch' };
  if (typeof record.createdAt !== 'number' || Date.now() - record.createdAt > VERIFICATION_TTL_MS) return { ok: false, why: 'expired' };
  return { ok: true, sessionId: record.sessionId, workflowKey: record.workflowKey, expiresAt: record.createdAt + VERIFICATION_TTL_MS };
}

export function readVerification(req: Request): Verification | undefined {
  return req.session?.verification;
}

function sameId(expected: string, offered: string): boolean {
  const a = Buffer.from(expected);
  const b = Buffer.from(offered);
  return a.length === b.length && timingSafeEqual(a, b);
}
