import { isSecureOrLoopback } from '../http/loopback.js';
import { safeReturnTo } from '../http/return-to.js';
import { booleanRule, integerRule, objectWithMethodsRule, rule, stringRule, type Fail, type OptionValues } from '../option-schema.js';
import type { StateStore } from './pending/types.js';
import type { UsedStateLedger } from './used-states/ledger.js';

/** The options every sign-in strategy takes, checked once by each strategy's schema. */

export const MAX_STATE_TTL_MS = 10 * 60 * 1000;
export const DEFAULT_VERIFY_TIMEOUT_MS = 30_000;

/**
 * Sent verbatim as `redirect_uri` (vendors may compare it with what was registered), so the string
 * is checked and kept as written.
 */
export const callbackURLRule = rule(
  (value: unknown, fail: Fail) => {
    if (typeof value !== 'string' || value === '') fail('be an absolute https URL');
    if (value.trim() !== value || /[\u0000-\u001f\u007f]/.test(value)) fail('not contain whitespace or control characters');
    let url: URL;
    try {
      url = new URL(value);
    } catch {
      return fail('be an absolute URL such as https://shop.example.com/auth/callback');
    }
    if (!isSecureOrLoopback(url)) fail('be https (plain http is allowed only on localhost, 127.0.0.1 or [::1])');
    if (url.username || url.password || url.hash) fail('not carry userinfo or a fragment');
    return value;
  },
  { required: true },
);

/** A same-origin path the already signed-in user is sent to, or `false` to fail the callback instead. */
const signedInRedirectRule = rule((value: unknown, fail: Fail): string | false => {
  if (value === false) return false;
  const path = safeReturnTo(value);
  if (path === undefined || path !== value) fail('be false or a same-origin path such as /account (starting with a single /)');
  return path;
});

export const SIGN_IN_SCHEMA = {
  callbackURL: callbackURLRule,
  passReqToCallback: booleanRule(),
  name: stringRule({ nonEmpty: true }),
  stateStore: objectWithMethodsRule<StateStore>(['save', 'take']),
  usedStates: objectWithMethodsRule<UsedStateLedger>(['claim']),
  stateTtlMs: integerRule(1000, MAX_STATE_TTL_MS),
  returnToParam: stringRule({ nonEmpty: true }),
  signedInRedirect: signedInRedirectRule,
  verifyTimeoutMs: integerRule(1, MAX_STATE_TTL_MS),
};

export type SignInOptionValues = OptionValues<typeof SIGN_IN_SCHEMA>;
