import packageJson from '../../package.json' with { type: 'json' };

/**
 * Sent on every UltraCart and UltrapassId call, as the vendors' own SDKs send theirs: an API
 * gateway may refuse calls without one, and it tells the vendor which client made a call. The
 * version is read from package.json once, when the bundle is built (tsup inlines it).
 */
export const USER_AGENT = `passport-ultracart/${packageJson.version}`;
