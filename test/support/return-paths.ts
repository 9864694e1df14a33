import fc from 'fast-check';

/**
 * Return targets that pass a check on their raw text (one leading `/`, no backslash, no control
 * character) and that the URL parser turns into `//evil.com` by removing dot segments, plain or
 * percent-encoded, at any depth (threat model case 50).
 */
export const NORMALISED_OFF_SITE = [
  '/.//evil.com',
  '/..//evil.com',
  '/%2e//evil.com',
  '/%2E//evil.com',
  '/.%2e//evil.com',
  '/%2e%2E//evil.com',
  '/a/..//evil.com',
  '/a/%2e%2e//evil.com',
  '/a/b/../..//evil.com',
  '/a/.%2E/%2e%2e/.//evil.com',
  '/././/evil.com',
  '/.///evil.com',
  '/.//evil.com/%2F..',
  '/.//evil.com:443/x?y=1#z',
  '/.%2E/%2e./..//evil.com/',
];

/** Pieces a hostile path is built from: dot segments in every spelling, slashes, escapes, controls. */
const PIECES = [
  '/',
  '//',
  '\\',
  '.',
  '..',
  '%2e',
  '%2E',
  '.%2e',
  '%2e.',
  '.%2E',
  '%2E%2e',
  '%2e%2e',
  '...',
  '%2f',
  '%2F',
  '%5c',
  '%5C',
  '\t',
  '\n',
  '\r',
  '%09',
  '%0a',
  '%00',
  ' ',
  '@',
  ':',
  '?',
  '#',
  ';',
  'a',
  'evil.com',
  'é',
];

/** Any mix of the pieces, at any depth, usually starting with `/` as a check on the raw text wants. */
export const hostilePath: fc.Arbitrary<string> = fc
  .tuple(fc.boolean(), fc.array(fc.constantFrom(...PIECES), { maxLength: 14 }))
  .map(([leadingSlash, pieces]) => (leadingSlash ? '/' : '') + pieces.join(''));

/** Paths the parser leaves alone: `/` then plain segments, a query and a fragment. */
export const plainPath: fc.Arbitrary<string> = fc
  .tuple(
    fc.array(fc.stringMatching(/^[A-Za-z0-9_~-]{1,8}$/), { minLength: 0, maxLength: 5 }),
    fc.option(fc.stringMatching(/^[A-Za-z0-9=&]{1,10}$/), { nil: undefined }),
    fc.option(fc.stringMatching(/^[A-Za-z0-9]{1,6}$/), { nil: undefined }),
  )
  .map(
    ([segments, query, hash]) => `/${segments.join('/')}${query === undefined ? '' : `?${query}`}${hash === undefined ? '' : `#${hash}`}`,
  );

/** Pages a browser could be on when it follows the Location, each with the app's origin. */
const PAGES = ['https://shop.example', 'https://shop.example/auth/ultracart/callback?code=x&state=y', 'https://shop.example/a/b/c/'];

/**
 * Why a browser on the app's pages would not go to exactly `location` on the app's own origin,
 * or undefined when it would: one `/` then neither `/` nor `\`, no control characters, and the
 * same path, query and fragment after the browser's own parse, from any page of the app.
 */
export function whyNotSameOrigin(location: string): string | undefined {
  if (!location.startsWith('/')) return 'does not start with /';
  if (location[1] === '/' || location[1] === '\\') return 'starts with // or /\\';
  if (/[\u0000-\u001f\u007f]/.test(location)) return 'holds a control character';
  for (const page of PAGES) {
    const resolved = new URL(location, page);
    if (resolved.origin !== new URL(page).origin) return `leaves for ${resolved.origin} from ${page}`;
    if (resolved.pathname + resolved.search + resolved.hash !== location) return 'is rewritten by the browser';
  }
  return undefined;
}
