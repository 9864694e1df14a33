import { parseRetryAfter } from './transport.js';

/**
 * What a vendor's HTTP status means for the application. This file is the one place that decides
 * it, for both vendors: the clients build their errors from the verdict, and the strategy and
 * middleware act on the error's `code`, never on the upstream status again.
 */
export type UpstreamMeaning =
  /** A 3xx: never followed, since it would carry our key headers and the code to another host. */
  | 'redirect'
  /** A 2xx the endpoint does not document. */
  | 'undocumented-success'
  /** 429: the vendor is rate limiting us. */
  | 'rate-limited'
  /** 503: the vendor is down for now. */
  | 'unavailable'
  /** Any other 5xx. */
  | 'server-error'
  /** Our own credential or configuration was refused: only the site's owner can fix it. */
  | 'configuration'
  /** What the browser brought (a code, a session id) was refused: the user should start again. */
  | 'input-rejected'
  /** The user's key no longer works (revoked, expired). */
  | 'session-ended'
  /** The vendor could not run something it depends on (UltrapassId's 424). */
  | 'dependency-failed'
  /** Any other status. */
  | 'unexpected';

/** The 4xx statuses an endpoint documents, with what each means there and why, for the message. */
export type StatusRules = Readonly<Record<number, { meaning: UpstreamMeaning; why?: string }>>;

export interface UpstreamVerdict {
  meaning: UpstreamMeaning;
  /** What the application should answer with. */
  status: number;
  /** Words for the message, e.g. "rate limit exceeded"; undefined when the status says it all. */
  why: string | undefined;
  /** From `Retry-After` on a 429 or 503, capped at {@link MAX_RETRY_AFTER_SECONDS}. */
  retryAfter: number | undefined;
}

/** A hostile or mistaken `Retry-After` cannot park our clients for longer than this. */
export const MAX_RETRY_AFTER_SECONDS = 300;

/** The status the application answers with, per meaning. */
const ANSWER: Record<UpstreamMeaning, number> = {
  redirect: 502,
  'undocumented-success': 502,
  'rate-limited': 503,
  unavailable: 503,
  'server-error': 502,
  configuration: 500,
  'input-rejected': 400,
  'session-ended': 401,
  'dependency-failed': 502,
  unexpected: 502,
};

const NO_RULES: StatusRules = {};

/** Decides what `status`, answered by an endpoint with `rules`, means. */
export function judgeUpstreamStatus(status: number, retryAfterHeader: string | undefined, rules: StatusRules = NO_RULES): UpstreamVerdict {
  const rule = rules[status];
  let meaning: UpstreamMeaning;
  let why: string | undefined;
  if (status >= 200 && status < 300) meaning = 'undocumented-success';
  else if (status >= 300 && status < 400) [meaning, why] = ['redirect', 'a redirect, which is never followed'];
  else if (status === 429) [meaning, why] = ['rate-limited', 'rate limit exceeded'];
  else if (status === 503) meaning = 'unavailable';
  else if (status >= 500) meaning = 'server-error';
  else if (rule) [meaning, why] = [rule.meaning, rule.why];
  else meaning = 'unexpected';
  let retryAfter: number | undefined;
  if (meaning === 'rate-limited' || meaning === 'unavailable') {
    const seconds = parseRetryAfter(retryAfterHeader);
    retryAfter = seconds === undefined ? undefined : Math.min(seconds, MAX_RETRY_AFTER_SECONDS);
  }
  return { meaning, status: ANSWER[meaning], why, retryAfter };
}
