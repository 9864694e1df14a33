import type { Request, RequestHandler } from 'express';
import type { BaseSettings } from './config.js';

/**
 * Why a request in production is not https as the app sees it:
 * - `no-forwarded-proto`: it came from a trusted proxy that sent no `X-Forwarded-Proto` header;
 * - `untrusted-peer`: it came from an address `TRUST_PROXY` does not trust (a direct hit on the
 *   app port, or a proxy missing from `TRUST_PROXY`), so its `X-Forwarded-*` headers are ignored;
 * - `forwarded-http`: the proxy says the browser itself used plain http.
 */
export type PlainHttpCause = 'no-forwarded-proto' | 'untrusted-peer' | 'forwarded-http';

const REPEAT_AFTER_MS = 5 * 60 * 1000;

/** The cause, or undefined for a request the app sees as https. Reads what Express's `req.secure` reads. */
export function plainHttpCause(req: Request): PlainHttpCause | undefined {
  if (req.secure) return undefined;
  const trusts = req.app.get('trust proxy fn') as (address: string, hop: number) => boolean;
  if (!trusts(req.socket.remoteAddress ?? '', 0)) return 'untrusted-peer';
  return req.headers['x-forwarded-proto'] === undefined ? 'no-forwarded-proto' : 'forwarded-http';
}

/**
 * In production every cookie is Secure, so a request the app takes for plain http can never keep a
 * session. Says why in the log (once per cause, again after five minutes while it lasts), in the
 * operator's terms: the app's `TRUST_PROXY` and the header the proxy must send. Nothing from the
 * request is logged but the peer's socket address.
 */
export function plainHttpDiagnosis(settings: BaseSettings, report: (line: string) => void): RequestHandler {
  const lastReported = new Map<PlainHttpCause, number>();
  const trustSetting = settings.trustProxy === undefined ? '(unset)' : String(settings.trustProxy);
  return (req, _res, next) => {
    const cause = plainHttpCause(req);
    if (cause !== undefined) {
      const now = Date.now();
      if (now - (lastReported.get(cause) ?? -Infinity) >= REPEAT_AFTER_MS) {
        lastReported.set(cause, now);
        report(`set-up problem: ${explain(cause, JSON.stringify(req.socket.remoteAddress ?? 'unknown'), trustSetting)}`);
      }
    }
    next();
  };
}

function explain(cause: PlainHttpCause, peer: string, trustSetting: string): string {
  const consequence = 'so the app takes it for plain http: the Secure session cookie is not set and sign-in is refused';
  switch (cause) {
    case 'no-forwarded-proto':
      return (
        `a request from the proxy at ${peer} (trusted by TRUST_PROXY=${trustSetting}) carries no X-Forwarded-Proto header, ${consequence}. ` +
        'Make the proxy send it (nginx: proxy_set_header X-Forwarded-Proto $scheme;).'
      );
    case 'untrusted-peer':
      return (
        `a request came from ${peer}, which TRUST_PROXY=${trustSetting} does not trust, so its X-Forwarded-Proto and X-Forwarded-For are ignored, ${consequence}. ` +
        `If ${peer} is your proxy, add it to TRUST_PROXY; if not, the app port is reachable without the proxy: keep BIND_ADDRESS on loopback or firewall the port.`
      );
    case 'forwarded-http':
      return `the proxy at ${peer} forwarded a plain-http request (X-Forwarded-Proto: http), ${consequence}. Redirect http to https at the proxy.`;
  }
}
