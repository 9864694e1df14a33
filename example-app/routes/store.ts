import { Router, type ErrorRequestHandler, type Request, type RequestHandler, type Response } from 'express';
import {
  MemoryOAuthTokenStore,
  RedisOAuthTokenStore,
  UltraCartNotConnectedError,
  UltraCartOAuthError,
  UltraCartOAuthConnections,
  UltraCartOAuthStrategy,
  type UltraCartOAuthInfo,
} from 'passport-ultracart';
import { sendPage, type AppContext } from '../context.js';
import type { PassportInstance } from '../passport.js';
import type { Redis } from '../redis.js';
import { STORE_CALLBACK_PATH, type StoreSettings } from '../store-config.js';
import { currentUser } from '../user.js';
import { storePage, type ApiCallView, type StoreConnectionView } from '../views/store.js';
import { requireUser } from './guards.js';

export const STORE_PATH = '/store';
export const STORE_CONNECT_PATH = '/store/connect';
export { STORE_CALLBACK_PATH };

declare module 'express-session' {
  interface SessionData {
    /** What is known of the connected store, for the page; the tokens live in the token store, never here. */
    storeConnection?: StoreConnectionView;
    storeLastCall?: ApiCallView;
  }
}

/** The outcomes the page words, by the `result` its redirects carry; anything else shows nothing. */
const RESULTS: Record<string, { text: string; kind: 'ok' | 'problem' }> = {
  connected: { text: 'Your UltraCart store is connected.', kind: 'ok' },
  called: { text: 'UltraCart answered the API call made with the store’s token.', kind: 'ok' },
  refreshed: { text: 'The access token was refreshed.', kind: 'ok' },
  disconnected: { text: 'Your store is disconnected, and UltraCart revoked the app’s access.', kind: 'ok' },
  'disconnect-unconfirmed': {
    text: 'Your store is disconnected here, but UltraCart could not confirm the revocation just now.',
    kind: 'problem',
  },
  reconnect: {
    text: 'UltraCart no longer accepts this connection (it was revoked or the app disabled). Connect your store again.',
    kind: 'problem',
  },
};

/** Why a connection attempt failed, by the strategy's `reason`. */
const REASONS: Record<string, string> = {
  denied: 'You declined the connection at UltraCart; nothing was connected.',
  expired: 'The connection request expired before it was approved. Start again.',
  codeRejected: 'UltraCart refused this approval (it expired or was already used). Start again.',
  alreadyUsed: 'This connection link was already used.',
};

/**
 * "Connect your UltraCart store" for the signed-in user: `passport.authorize()` with
 * `UltraCartOAuthStrategy`, the tokens kept per user in a token store (Redis when the app has it),
 * one API call made with the token, a refresh, and a disconnect that revokes.
 */
export function storeRoutes(
  ctx: AppContext,
  passport: PassportInstance,
  settings: StoreSettings,
  redis: Redis | undefined,
  limit: RequestHandler,
): Router {
  const router = Router();
  const strategy = new UltraCartOAuthStrategy(
    {
      clientId: settings.clientId,
      ...(settings.clientSecret !== undefined && { clientSecret: settings.clientSecret }),
      callbackURL: settings.callbackURL,
      ...(settings.baseURL !== undefined && { baseURL: settings.baseURL }),
      merchantLookup: settings.merchantLookup,
      passReqToCallback: true,
    },
    async (req, tokens, profile) => {
      const user = currentUser(req as Request);
      if (!user) return false;
      await connections.save(user.id, tokens);
      const connection: StoreConnectionView = {
        merchantId: profile.merchantId,
        merchantIdSource: profile.merchantIdSource,
        scopes: tokens.scopes,
        expiresAt: tokens.expiresAt?.toISOString() ?? null,
        connectedAt: new Date().toISOString(),
      };
      return connection;
    },
  );
  passport.use(strategy);
  const connections = new UltraCartOAuthConnections({
    client: strategy.client,
    store: redis
      ? new RedisOAuthTokenStore({ client: redis, prefix: `${ctx.settings.redis?.prefix ?? ''}oauth:` })
      : new MemoryOAuthTokenStore(),
  });

  router.get(STORE_PATH, requireUser, async (req, res, next) => {
    try {
      const user = currentUser(req)!;
      const tokens = await connections.get(user.id);
      let connection = req.session.storeConnection;
      if (connection && !tokens) {
        // Disconnected elsewhere (another browser of this user): the page follows the token store.
        delete req.session.storeConnection;
        delete req.session.storeLastCall;
        connection = undefined;
      }
      const view =
        connection && tokens ? { ...connection, scopes: tokens.scopes, expiresAt: tokens.expiresAt?.toISOString() ?? null } : undefined;
      const result = typeof req.query.result === 'string' ? RESULTS[req.query.result] : undefined;
      const reason = typeof req.query.reason === 'string' ? req.query.reason : undefined;
      const message =
        result ??
        (reason !== undefined
          ? { text: REASONS[reason] ?? 'The store could not be connected. Please try again.', kind: 'problem' as const }
          : undefined);
      sendPage(
        res,
        200,
        storePage({
          signedInAs: user.name,
          csrfToken: ctx.csrfToken(req, res),
          connection: view,
          lastCall: view ? req.session.storeLastCall : undefined,
          message,
          notice: ctx.notice,
        }),
      );
    } catch (err) {
      next(err);
    }
  });

  router.get(STORE_CONNECT_PATH, limit, requireUser, passport.authorize('ultracart-oauth'));

  router.get(
    STORE_CALLBACK_PATH,
    limit,
    requireUser,
    // The strategy puts the reason in the failure redirect's query (`/store?reason=denied`).
    passport.authorize('ultracart-oauth', { failureRedirect: STORE_PATH }),
    (req: Request, res: Response) => {
      const account = (req as Request & { account?: StoreConnectionView }).account;
      const info = req.authInfo as UltraCartOAuthInfo | undefined;
      if (account)
        req.session.storeConnection = {
          ...account,
          expiresAt: info?.expiresAt ? new Date(info.expiresAt).toISOString() : account.expiresAt,
        };
      delete req.session.storeLastCall;
      ctx.report(`store connected (merchant ${account?.merchantId ?? 'unknown'})`);
      res.redirect(302, `${STORE_PATH}?result=connected`);
    },
  );

  /** Runs one store action for the signed-in user and sends the browser back to the page with its outcome. */
  const action =
    (run: (userId: string, req: Request) => Promise<string>): RequestHandler =>
    async (req, res, next) => {
      const user = currentUser(req)!;
      try {
        res.redirect(303, `${STORE_PATH}?result=${await run(user.id, req)}`);
      } catch (err) {
        if (err instanceof UltraCartNotConnectedError || (err instanceof UltraCartOAuthError && err.reconnectNeeded)) {
          // The app forgets a connection UltraCart no longer honours; only the merchant can restore it.
          await connections.store.delete(user.id).catch(() => {});
          delete req.session.storeConnection;
          delete req.session.storeLastCall;
          ctx.report('store connection refused by UltraCart: asking to reconnect');
          return res.redirect(303, `${STORE_PATH}?result=reconnect`);
        }
        next(err);
      }
    };

  router.post(
    '/store/api-call',
    requireUser,
    action(async (userId, req) => {
      const answer = await connections.withAccessToken(userId, (token) => strategy.client.get('/item/items?_limit=5', token));
      req.session.storeLastCall = summarise(answer);
      return 'called';
    }),
  );

  router.post(
    '/store/refresh',
    requireUser,
    action(async (userId) => {
      await connections.refresh(userId);
      return 'refreshed';
    }),
  );

  router.post(
    '/store/disconnect',
    requireUser,
    action(async (userId, req) => {
      const outcome = await connections.disconnect(userId);
      delete req.session.storeConnection;
      delete req.session.storeLastCall;
      ctx.report(`store disconnected: ${outcome}`);
      return outcome === 'failed' ? 'disconnect-unconfirmed' : 'disconnected';
    }),
  );

  router.use(STORE_PATH, storeErrors(ctx));
  return router;
}

/** A few fields of each item: the page shows them, and the session keeps no more than that. */
function summarise(answer: Record<string, unknown>): ApiCallView {
  const list = Array.isArray(answer.items) ? (answer.items as Array<Record<string, unknown>>) : [];
  const total = (answer.metadata as { result_set?: { total_records?: unknown } } | undefined)?.result_set?.total_records;
  return {
    at: new Date().toISOString(),
    items: list.slice(0, 5).map((item) => ({
      id: typeof item.merchant_item_id === 'string' ? item.merchant_item_id.slice(0, 100) : '(no id)',
      description: typeof item.description === 'string' ? item.description.slice(0, 200) : '',
    })),
    total: typeof total === 'number' ? total : null,
  };
}

/** UltraCart's faults on these routes as plain pages: unavailable (with Retry-After kept) or misconfigured. */
function storeErrors(ctx: AppContext): ErrorRequestHandler {
  return (err: unknown, req, res, next) => {
    if (!(err instanceof UltraCartOAuthError) || res.headersSent) return next(err);
    ctx.report(`error: ${err.name} ${err.code} -> ${err.status}`);
    if (err.retryAfter !== undefined) res.setHeader('Retry-After', String(err.retryAfter));
    const user = currentUser(req);
    const text =
      err.status >= 500 && err.status !== 500
        ? `UltraCart did not answer properly just now${err.retryAfter ? ` (try again in about ${err.retryAfter} seconds)` : ''}. Nothing was changed.`
        : 'UltraCart refused this app’s configuration; the site owner needs to check the server log.';
    sendPage(
      res,
      err.status,
      storePage({
        signedInAs: user?.name ?? '',
        csrfToken: ctx.csrfToken(req, res),
        connection: undefined,
        lastCall: undefined,
        message: { text, kind: 'problem' },
        notice: ctx.notice,
      }),
    );
  };
}
