import type { IncomingMessage } from 'node:http';

/** What one query parameter turned out to be. Arrays and objects are never flattened to strings. */
export type QueryParam = { kind: 'absent' } | { kind: 'string'; value: string } | { kind: 'not-a-string' };

type Query = Record<string, unknown>;

/**
 * The request's query as an object. Express provides `req.query` (whose parser turns `?a=1&a=2`
 * into an array and, with the extended parser, `a[x]=1` into an object); a bare Node request is
 * parsed here with the same array behaviour.
 */
export function queryOf(req: IncomingMessage & { query?: unknown }): Query {
  // Read once: in Express 5 `req.query` is a getter that parses the query string on every read.
  const parsed = req.query;
  if (parsed && typeof parsed === 'object') return parsed as Query;
  const out: Query = Object.create(null) as Query;
  const search = new URL(req.url ?? '/', 'http://request.invalid').searchParams;
  for (const name of new Set(search.keys())) {
    const all = search.getAll(name);
    out[name] = all.length === 1 ? all[0] : all;
  }
  return out;
}

export function readParam(query: Query, name: string): QueryParam {
  if (!Object.prototype.hasOwnProperty.call(query, name)) return { kind: 'absent' };
  const value = query[name];
  if (value === undefined) return { kind: 'absent' };
  if (typeof value !== 'string') return { kind: 'not-a-string' };
  return { kind: 'string', value };
}

export function hasParam(query: Query, name: string): boolean {
  return Object.prototype.hasOwnProperty.call(query, name) && query[name] !== undefined;
}
