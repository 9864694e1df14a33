import type { IncomingMessage, ServerResponse } from 'node:http';
import { log } from '../log.js';
import { checkRedirectTarget, normaliseOrigins, type RedirectPolicy } from '../http/redirect-target.js';
import { pickOptions, readOptions } from '../option-schema.js';
import { SignInDiagnostics } from '../sign-in/diagnose.js';
import { sessionCookieSettings } from '../sign-in/session-access.js';
import { isWorkflowKey, UAuthClient, type UAuthConnectionOptions } from './client.js';
import { UAUTH_CONNECTION_SCHEMA, UAUTH_MIDDLEWARE_SCHEMA } from './option-rules.js';
import { UAuthApiError } from './errors.js';

/** UltrapassId's hosted pages, where the documented `getSessionUrl` points. */
export const UAUTH_DEFAULT_REDIRECT_ORIGIN = 'https://auth.ultrapassid.com';
/** Where `uauth()` records the pending workflow in `req.session` unless told otherwise. */
export const UAUTH_DEFAULT_SESSION_KEY = 'uauth';

/** What `uauth()` keeps in `req.session[sessionKey]`, so the app can match the user's return. */
export interface UAuthSessionRecord {
  /** The id from `getSessionUrl`, or null when UltrapassId's URL carried none. */
  sessionId: string | null;
  workflowKey: string;
  /** When the session was cached, in milliseconds since the epoch (a number survives any session store). */
  createdAt: number;
}

/** What `onSession` receives. */
export interface UAuthCreatedSession {
  sessionId: string | null;
  /** The checked URL the browser is about to be sent to. */
  getSessionUrl: string;
}

/** Options of {@link uauth}: the connection options of {@link UAuthClient} and the workflow to run. */
export interface UAuthOptions<Req extends IncomingMessage = IncomingMessage> extends UAuthConnectionOptions {
  /**
   * The workflow to run, a UUID from UltrapassId's portal, or a function choosing one per request.
   * A fixed key is checked at startup; a function's answer is checked before any call is made.
   */
  workflowKey: string | ((req: Req) => string | Promise<string>) | undefined;
  /**
   * Origins the browser may be sent to. Default: `https://auth.ultrapassid.com` and the origin of
   * `baseURL`. Only https is followed, except the origin of `baseURL` itself (the emulator).
   */
  allowedRedirectOrigins?: string[] | undefined;
  /** The `req.session` property the pending workflow is recorded under. Default `uauth`. */
  sessionKey?: string | undefined;
  /**
   * Keep the pending workflow somewhere else than `req.session`. When given, `req.session` is not
   * touched. A rejection or throw goes to `next(err)` and the browser is not redirected.
   */
  onSession?: ((req: Req, session: UAuthCreatedSession) => void | Promise<void>) | undefined;
}

/** An Express (4 or 5) or Connect middleware; plain `node:http` works too. */
export type UAuthMiddleware<Req extends IncomingMessage = IncomingMessage> = (
  req: Req,
  res: ServerResponse,
  next: (err?: unknown) => void,
) => void;

/**
 * Sends the browser through an UltrapassId identity workflow: caches a workflow instance session
 * with `POST {baseURL}/uauth/session`, checks the returned `getSessionUrl`, records the pending
 * session, and redirects (303 after a POST, 302 after a GET). Every failure goes to `next(err)` as
 * a `UAuthApiError` whose `status` is what to answer; nothing is retried.
 *
 * Each request creates a session upstream: mount it on a POST route behind CSRF protection and a
 * rate limit, never on a GET that a cross-site `<img>` could trigger.
 *
 * @example
 * app.post('/verify', csrfProtection, uauth({
 *   organizationKey: process.env.UPID_ORGANIZATION_KEY!,
 *   workflowKey: '322dbc7a-0a8a-452a-ba6d-c3e893f29ecc',
 *   baseURL: process.env.UPID_BASE_URL,
 * }));
 */
export function uauth<Req extends IncomingMessage = IncomingMessage>(options: UAuthOptions<Req>): UAuthMiddleware<Req> {
  const values = readOptions('uauth', options, UAUTH_MIDDLEWARE_SCHEMA);
  // Every option is checked above, so the client, given its own options, has nothing left to refuse.
  const client = new UAuthClient(pickOptions(options, UAUTH_CONNECTION_SCHEMA) as UAuthConnectionOptions);
  const chooseWorkflow = workflowChooser<Req>(values.workflowKey);
  const redirectPolicy = parseRedirectPolicy(values.allowedRedirectOrigins, client.baseURL);
  const sessionKey = values.sessionKey ?? UAUTH_DEFAULT_SESSION_KEY;
  const onSession = values.onSession as UAuthOptions<Req>['onSession'];
  const diagnostics = new SignInDiagnostics({ stateTtlMs: 30 * 60 * 1000, vendor: 'UltrapassId' });

  async function begin(req: Req, res: ServerResponse): Promise<void> {
    // A session cookie that can never come back makes every return fail: say so before any call upstream.
    if (!onSession && diagnostics.atAuthorize(req, sessionCookieSettings(req))) {
      throw new UAuthApiError(
        'uauth: the session cookie is Secure but this request is plain http, so the browser never gets it and its return ' +
          'cannot be matched (see the warning logged)',
        { code: 'UAUTH_CONFIGURATION', endpoint: 'createSession', status: 500 },
      );
    }
    const workflowKey = await chooseWorkflow(req);
    if (!isWorkflowKey(workflowKey)) {
      // Checked here, not left to UltrapassId: a 400 would cost a call and say less.
      throw new UAuthApiError('uauth: the workflowKey function returned a value that is not a UUID', {
        code: 'UAUTH_CONFIGURATION',
        endpoint: 'createSession',
        status: 500,
      });
    }
    const created = await client.createSession(workflowKey);
    const target = checkRedirectTarget(created.getSessionUrl, redirectPolicy);
    if (!target.ok) {
      throw new UAuthApiError(`UltrapassId POST /uauth/session: getSessionUrl refused, ${target.reason}`, {
        code: 'UAUTH_BAD_RESPONSE',
        endpoint: 'createSession',
        status: 502,
      });
    }

    if (onSession) {
      await onSession(req, { sessionId: created.sessionId, getSessionUrl: target.url });
    } else {
      const session = (req as { session?: unknown }).session;
      if (session && typeof session === 'object') {
        const record: UAuthSessionRecord = { sessionId: created.sessionId, workflowKey, createdAt: Date.now() };
        (session as Record<string, unknown>)[sessionKey] = record;
      } else {
        log.uauth('no req.session and no onSession: the pending workflow is not recorded');
      }
    }

    log.uauth('redirecting to the workflow page');
    res.statusCode = req.method === 'GET' || req.method === 'HEAD' ? 302 : 303;
    res.setHeader('Location', target.url);
    // The URL carries the session id: keep it out of caches and out of the next page's Referer.
    res.setHeader('Cache-Control', 'no-store');
    res.setHeader('Referrer-Policy', 'no-referrer');
    res.end();
  }

  return (req, res, next) => {
    begin(req, res).catch((err: unknown) => {
      if (err instanceof UAuthApiError && err.retryAfter !== undefined && !res.headersSent) {
        res.setHeader('Retry-After', String(err.retryAfter));
      }
      next(err);
    });
  };
}

function workflowChooser<Req>(value: string | ((req: never) => unknown)): (req: Req) => Promise<unknown> {
  if (typeof value === 'function') return async (req) => (value as (req: Req) => unknown)(req);
  return async () => value;
}

function parseRedirectPolicy(value: string[] | undefined, baseURL: string): RedirectPolicy {
  const apiOrigin = new URL(baseURL).origin;
  const allowed = value ?? [UAUTH_DEFAULT_REDIRECT_ORIGIN, apiOrigin];
  return { allowedOrigins: normaliseOrigins(allowed, 'uauth: the allowedRedirectOrigins option'), plainHttpOrigin: apiOrigin };
}
