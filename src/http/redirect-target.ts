/** The longest vendor-supplied URL we will send a browser to. */
export const MAX_REDIRECT_URL_LENGTH = 2048;

// C0 controls, DEL, and whitespace that browsers strip or fold before parsing.
const UNSAFE_CHARACTERS = /[\u0000-\u0020\u007f\\]/;

export interface RedirectPolicy {
  /** Origins (`https://host[:port]`) the browser may be sent to. */
  allowedOrigins: ReadonlySet<string>;
  /** The one origin allowed over plain http: the API's own, so the loopback emulators work. */
  plainHttpOrigin?: string;
}

export type RedirectCheck = { ok: true; url: string } | { ok: false; reason: string };

/**
 * Checks a URL that a vendor told us to send the browser to. The URL is parsed, never matched
 * by prefix, and what we hand to the browser is the parser's serialisation, not the raw text.
 */
export function checkRedirectTarget(value: unknown, policy: RedirectPolicy): RedirectCheck {
  if (typeof value !== 'string' || value.length === 0) return { ok: false, reason: 'missing or not a string' };
  if (value.length > MAX_REDIRECT_URL_LENGTH) return { ok: false, reason: 'longer than 2048 characters' };
  if (UNSAFE_CHARACTERS.test(value)) return { ok: false, reason: 'contains whitespace, control characters or a backslash' };
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return { ok: false, reason: 'not an absolute URL' };
  }
  if (url.username || url.password) return { ok: false, reason: 'carries userinfo' };
  const { protocol, origin } = url;
  const plainHttpAllowed = protocol === 'http:' && origin === policy.plainHttpOrigin;
  if (protocol !== 'https:' && !plainHttpAllowed) return { ok: false, reason: `scheme ${protocol} is not https` };
  if (!policy.allowedOrigins.has(origin)) return { ok: false, reason: `origin ${origin} is not allowed` };
  return { ok: true, url: url.href };
}

/** Normalises configured origins (`https://Example.com/` -> `https://example.com`), naming the option on error. */
export function normaliseOrigins(values: readonly string[], optionName: string): Set<string> {
  const out = new Set<string>();
  for (const value of values) {
    let url: URL;
    try {
      url = new URL(value);
    } catch {
      throw new TypeError(`${optionName} must hold absolute URLs; got an unparsable entry`);
    }
    if (url.protocol !== 'https:' && url.protocol !== 'http:') {
      throw new TypeError(`${optionName} entries must be http(s) origins`);
    }
    out.add(url.origin);
  }
  return out;
}
