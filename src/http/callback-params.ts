import type { IncomingMessage } from 'node:http';
import { queryOf } from './query.js';

/** A form_post answer holds a code, a state and perhaps an issuer and a session state: a few hundred bytes. */
const MAX_FORM_BYTES = 16 * 1024;

type Req = IncomingMessage & { query?: unknown; body?: unknown };

/** The callback's parameters, or why they could not be read. */
export type CallbackInput = { ok: true; params: Record<string, unknown> } | { ok: false; reason: 'formTooLarge' | 'formUnreadable' };

/**
 * The authorization response, from the query (`response_mode=query`) or from a POSTed form
 * (`form_post`). A body an app's own parser already read (`express.urlencoded()`) is used as it
 * is; otherwise the form is read here, capped, so `form_post` works without any body parser.
 */
export async function readCallbackParams(req: Req): Promise<CallbackInput> {
  if (req.method !== 'POST') return { ok: true, params: queryOf(req) };
  if (req.body && typeof req.body === 'object' && !Buffer.isBuffer(req.body)) {
    return { ok: true, params: req.body as Record<string, unknown> };
  }
  const type = (req.headers['content-type'] ?? '').split(';', 1)[0]!.trim().toLowerCase();
  if (type !== 'application/x-www-form-urlencoded' || req.readableEnded) return { ok: true, params: Object.create(null) };
  const text = await readCapped(req);
  if (text === undefined) return { ok: false, reason: 'formTooLarge' };
  if (text === null) return { ok: false, reason: 'formUnreadable' };
  return { ok: true, params: toParams(new URLSearchParams(text)) };
}

/** The body as text; undefined past the cap, null if the connection failed. */
function readCapped(req: IncomingMessage): Promise<string | undefined | null> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const finish = (value: string | undefined | null): void => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
      resolve(value);
    };
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      if (size > MAX_FORM_BYTES) {
        // Stop reading; the rest is discarded as the response ends.
        req.pause();
        finish(undefined);
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = (): void => finish(Buffer.concat(chunks).toString('utf8'));
    const onError = (): void => finish(null);
    req.on('data', onData);
    req.once('end', onEnd);
    req.once('error', onError);
  });
}

/** The same shape as Express's query: repeated names become arrays, which the strategy refuses. */
function toParams(search: URLSearchParams): Record<string, unknown> {
  const out: Record<string, unknown> = Object.create(null) as Record<string, unknown>;
  for (const name of new Set(search.keys())) {
    const all = search.getAll(name);
    out[name] = all.length === 1 ? all[0] : all;
  }
  return out;
}
