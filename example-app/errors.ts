import type { ErrorRequestHandler, RequestHandler } from 'express';
import { PassportUltraCartError, UAuthApiError, UltraCartApiError, UltrapassIdError, UsedStatesUnavailableError } from 'passport-ultracart';
import { sendPage, type AppContext } from './context.js';
import { RedisUnavailableError } from './redis.js';
import { SIGN_IN_PATH } from './routes/auth.js';
import { problemPage, type ProblemInput } from './views/problem.js';

interface Described extends Omit<ProblemInput, 'notice'> {
  status: number;
  retryAfter?: number;
}

/** Answers any route nobody handled. */
export function notFound(ctx: AppContext): RequestHandler {
  return (_req, res) => {
    sendPage(
      res,
      404,
      problemPage({ kind: 'not-found', title: 'Page not found', explanation: 'There is no page at this address.', notice: ctx.notice }),
    );
  };
}

/**
 * Turns every error into a page with the right status and plain words: vendor outages are 502,
 * 503 or 504 with Retry-After kept, a bad form is 403, our own faults 500, and a fault of this
 * site's set-up "not set up correctly" (500) rather than "try again later". Never a stack trace.
 * The log line carries the error's name and code, and for the package's own errors their message
 * too (quoted): it names the call and what was wrong, never a key, code, state or token, and it is
 * what the operator needs to fix a configuration fault.
 */
export function errorHandler(ctx: AppContext): ErrorRequestHandler {
  return (err: unknown, _req, res, next) => {
    if (res.headersSent) return next(err);
    const described = describe(err);
    const detail = err instanceof PassportUltraCartError ? `: ${JSON.stringify(err.message)}` : '';
    ctx.report(`error: ${nameOf(err)}${codeOf(err) ? ` ${codeOf(err)}` : ''} -> ${described.status}${detail}`);
    if (described.retryAfter !== undefined && !res.getHeader('Retry-After')) res.setHeader('Retry-After', String(described.retryAfter));
    const { status, retryAfter: _r, ...view } = described;
    sendPage(res, status, problemPage({ ...view, notice: ctx.notice }));
  };
}

function describe(err: unknown): Described {
  if (isSetUpFault(err)) {
    const [name, kind] =
      err instanceof UltraCartApiError
        ? ['UltraCart', 'ultracart']
        : err instanceof UAuthApiError
          ? ['UltrapassId', 'uauth']
          : ['UltrapassId', 'ultrapassid'];
    return configuration(name, kind, 500);
  }
  if (err instanceof UltraCartApiError) return vendor('UltraCart', 'ultracart', err.status, err.retryAfter, SIGN_IN_PATH);
  if (err instanceof UAuthApiError) {
    if (err.code === 'UAUTH_SESSION_INVALID') {
      return {
        status: 400,
        kind: 'uauth-session-invalid',
        title: 'This verification is no longer valid',
        explanation: 'UltrapassId no longer knows this verification: it expired or was already finished. Start it again from your profile.',
        next: { href: '/profile', label: 'Back to your profile', id: 'back-to-profile' },
      };
    }
    return vendor('UltrapassId', 'uauth', err.status, err.retryAfter, '/profile');
  }
  if (err instanceof UltrapassIdError) return vendor('UltrapassId', 'ultrapassid', err.status, err.retryAfter, '/profile');
  if (err instanceof UsedStatesUnavailableError) {
    return {
      status: 503,
      kind: 'sign-in-unavailable',
      title: 'Sign-in is unavailable for a moment',
      explanation: 'This site could not check your sign-in safely just now, so it did not sign you in. Wait a moment, then sign in again.',
      next: { href: '/auth/ultracart', label: 'Sign in again', id: 'sign-in-again' },
      ...(err.retryAfter !== undefined && { retryAfter: err.retryAfter }),
    };
  }
  if (err instanceof RedisUnavailableError) {
    return {
      status: 503,
      kind: 'store-unavailable',
      title: 'This site is unavailable for a moment',
      explanation: 'This site could not reach its own storage just now. Nothing is wrong with your account: wait a moment, then try again.',
      retryAfter: err.retryAfter,
    };
  }
  if (codeOf(err) === 'EBADCSRFTOKEN') {
    return {
      status: 403,
      kind: 'csrf',
      title: 'This form has expired',
      explanation:
        'For your safety, a form here only works from the page that showed it, in the same session. Go back, reload the page, and try again.',
    };
  }
  const status = statusOf(err);
  if (status >= 400 && status < 500) {
    return {
      status,
      kind: 'bad-request',
      title: 'That request could not be handled',
      explanation: 'The request was not understood. Go back and try again.',
    };
  }
  return {
    status: 500,
    kind: 'internal',
    title: 'Something went wrong on our side',
    explanation: 'The page could not be shown because of a problem on our side. Please try again in a moment.',
  };
}

/** `retryFrom` is where the step that failed starts again: a callback cannot be retried, its sign-in can. */
function vendor(name: string, kind: string, status: number, retryAfter: number | undefined, retryFrom: string): Described {
  if (status === 502 || status === 503 || status === 504) {
    return {
      status,
      kind: `${kind}-unavailable`,
      title: `${name} is unavailable`,
      explanation: `${name} did not answer properly just now. Nothing is wrong with your account: try again later${retryAfter ? ` (in about ${retryAfter} seconds)` : ''}.`,
      next: { href: retryFrom, label: 'Try again', id: 'try-again' },
      ...(retryAfter !== undefined && { retryAfter }),
    };
  }
  return configuration(name, kind, status >= 400 && status < 600 ? status : 500);
}

function configuration(name: string, kind: string, status: number): Described {
  return {
    status,
    kind: `${kind}-configuration`,
    title: `${name} is not set up correctly here`,
    explanation: `This site could not talk to ${name} because of a problem in its own configuration. Please try again later; the site owner needs to check the server log.`,
  };
}

/**
 * Faults of this site's set-up, which waiting will not cure: the vendor refused our credentials or
 * settings (`*_CONFIGURATION`), or sent the browser somewhere this site is not set up to allow (a
 * `login_url` or `getSessionUrl` over http or on another host: an emulator on http behind an https
 * app, or a vendor host missing from the allow-list), or named another OpenID Connect issuer than
 * the one configured. The package marks those only in its message (code `*_BAD_RESPONSE`), hence
 * the match on it.
 */
function isSetUpFault(err: unknown): err is UltraCartApiError | UAuthApiError | UltrapassIdError {
  if (!(err instanceof UltraCartApiError || err instanceof UAuthApiError || err instanceof UltrapassIdError)) return false;
  // A discovery document naming another issuer than ULTRAPASSID_ISSUER is one of these too.
  if (err.code.endsWith('_CONFIGURATION')) return true;
  return /: (?:login_url|getSessionUrl) refused, /.test(err.message);
}

function statusOf(err: unknown): number {
  const value =
    err && typeof err === 'object' ? ((err as { status?: unknown }).status ?? (err as { statusCode?: unknown }).statusCode) : undefined;
  return typeof value === 'number' && Number.isInteger(value) && value >= 400 && value < 600 ? value : 500;
}

function codeOf(err: unknown): string | undefined {
  const code = err && typeof err === 'object' ? (err as { code?: unknown }).code : undefined;
  return typeof code === 'string' && /^[A-Z0-9_]{1,40}$/.test(code) ? code : undefined;
}

function nameOf(err: unknown): string {
  const name = err instanceof Error ? err.name : 'non-error';
  return /^\w{1,40}$/.test(name) ? name : 'Error';
}
