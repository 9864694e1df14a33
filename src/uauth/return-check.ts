import type { IncomingMessage } from 'node:http';
import { queryOf, readParam } from '../http/query.js';
import { integerRule, objectWithMethodsRule, readOptions, stringRule } from '../option-schema.js';
import { SignInDiagnostics } from '../sign-in/diagnose.js';
import { sameState } from '../sign-in/pending/state-value.js';
import { sharedMessages, type SharedFailureReason } from '../sign-in/reasons.js';
import { readSession, removeFromSession, sessionCookieSettings, sessionObject } from '../sign-in/session-access.js';
import { claimOnce } from '../sign-in/used-states/claim.js';
import { processUsedStates, type UsedStateLedger } from '../sign-in/used-states/ledger.js';
import { UAUTH_DEFAULT_SESSION_KEY, type UAuthSessionRecord } from './middleware.js';

/** The messages a refused return from an UltrapassId workflow is explained with, for the person verifying. */
export const UAuthReturnMessages = sharedMessages({
  vendor: 'UltrapassId',
  noun: 'verification',
  retry: 'Please start the verification again.',
  notAllowed: 'This verification is not accepted here.',
});

/** Why a return was refused: a key of {@link UAuthReturnMessages}. */
export type UAuthReturnReason = SharedFailureReason;

/** What {@link uauthReturnCheck}'s check found. */
export type UAuthReturn =
  | { ok: true; sessionId: string; workflowKey: string; createdAt: number }
  | { ok: false; reason: UAuthReturnReason; message: string; status: number };

/** Options of {@link uauthReturnCheck}; `undefined` counts as absent. */
export interface UAuthReturnOptions {
  /** The `req.session` property `uauth()` recorded the pending workflow under. Default `uauth`, as `uauth()`'s. */
  sessionKey?: string | undefined;
  /** The query parameter the workflow's return carries the session id in. Default `sessionId`. */
  sessionIdParam?: string | undefined;
  /** How long a started workflow may take before its return is refused. Default 30 minutes. */
  maxAgeMs?: number | undefined;
  /**
   * Where used returns are recorded, so each is honoured once, also across concurrent requests.
   * Default: the process-wide in-memory ledger. Behind a load balancer, the shared ledger the
   * strategies use (a `RedisUsedStateLedger`); one that cannot answer fails the return with a 503.
   */
  usedStates?: UsedStateLedger | undefined;
}

const SCHEMA = {
  sessionKey: stringRule({ nonEmpty: true }),
  sessionIdParam: stringRule({ nonEmpty: true }),
  maxAgeMs: integerRule(1000),
  usedStates: objectWithMethodsRule<UsedStateLedger>(['claim']),
};
const DEFAULT_MAX_AGE_MS = 30 * 60 * 1000;
/** Session ids are 32 hex characters in UltrapassId's example; anything this long is not one. */
const MAX_SESSION_ID_LENGTH = 256;

/**
 * Builds the check for the browser's return from an UltrapassId workflow that `uauth()` started: it
 * matches the returned session id against the one this browser's session recorded (in constant
 * time), uses the record up whatever the outcome (so a return link works once), refuses an expired
 * one, and claims the id in the used-state ledger, so that of concurrent returns only one goes on.
 * A return that finds nothing pending is diagnosed as the strategies' callbacks are (a reload of a
 * finished return, a Secure cookie over plain http, SameSite=Strict), with a warning for the set-up
 * mistakes. Then read the workflow's result with `UAuthClient.getSession(sessionId)`.
 *
 * @example
 * const checkReturn = uauthReturnCheck();
 * app.get('/verify/return', async (req, res, next) => {
 *   const back = await checkReturn(req);
 *   if (!back.ok) return res.status(back.status).send(back.message);
 *   const session = await client.getSession(back.sessionId);
 *   // ...
 * });
 */
export function uauthReturnCheck(options: UAuthReturnOptions = {}): (req: IncomingMessage) => Promise<UAuthReturn> {
  const values = readOptions('uauthReturnCheck', options, SCHEMA);
  const sessionKey = values.sessionKey ?? UAUTH_DEFAULT_SESSION_KEY;
  const param = values.sessionIdParam ?? 'sessionId';
  const maxAgeMs = values.maxAgeMs ?? DEFAULT_MAX_AGE_MS;
  const ledger = values.usedStates ?? processUsedStates;
  const diagnostics = new SignInDiagnostics({ stateTtlMs: maxAgeMs, vendor: 'UltrapassId' });
  const refuse = (reason: UAuthReturnReason, status = 403): UAuthReturn => ({
    ok: false,
    reason,
    message: UAuthReturnMessages[reason],
    status,
  });

  return async (req) => {
    const session = sessionObject(req) as Record<string, unknown> | undefined;
    const record = session ? readRecord(readSession(session, sessionKey)) : undefined;
    // Used up whatever follows, so a wrong id also ends the pending workflow.
    if (session && readSession(session, sessionKey) !== undefined) removeFromSession(session, sessionKey);

    const offered = readParam(queryOf(req), param);
    if (offered.kind === 'not-a-string' || (offered.kind === 'string' && offered.value.length > MAX_SESSION_ID_LENGTH)) {
      return refuse('stateMalformed', 400);
    }
    const id = offered.kind === 'string' && offered.value !== '' ? offered.value : undefined;
    if (!record) return refuse(diagnostics.noPendingReason(req, id, false, sessionCookieSettings(req)));
    if (id === undefined || record.sessionId === null || !sameState(record.sessionId, id)) return refuse('stateMismatch');
    const expiresAt = record.createdAt + maxAgeMs;
    if (expiresAt <= Date.now()) return refuse('expired');
    if (!(await claimOnce(ledger, `uauth-return:${id}`, expiresAt))) return refuse('alreadyUsed');
    diagnostics.recordFinished(id);
    return { ok: true, sessionId: id, workflowKey: record.workflowKey, createdAt: record.createdAt };
  };
}

/** The record as `uauth()` writes it, or undefined for anything else a session store handed back. */
function readRecord(value: unknown): UAuthSessionRecord | undefined {
  if (!value || typeof value !== 'object') return undefined;
  const { sessionId, workflowKey, createdAt } = value as Partial<UAuthSessionRecord>;
  if ((sessionId !== null && typeof sessionId !== 'string') || typeof workflowKey !== 'string' || typeof createdAt !== 'number') {
    return undefined;
  }
  return { sessionId: sessionId ?? null, workflowKey, createdAt };
}
