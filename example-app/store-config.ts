import { ConfigError } from './config.js';

/** How the app reaches UltraCart's OAuth 2.0 endpoints for "Connect your UltraCart store". */
export interface StoreSettings {
  /** The Client ID of the UltraCart Developer Application. */
  clientId: string;
  /** Its client secret, when it has one; without it the app is a public client and sends none. */
  clientSecret?: string;
  /** Absolute URL of `/store/callback` as the browser sees it: the app's registered "Authorization redirect URL". */
  callbackURL: string;
  /** Default: the package's (UltraCart production). */
  baseURL?: string;
  /** The call whose answer names the merchant, or false for none. Default `/item/items?_limit=1` (needs `item_read`). */
  merchantLookup: string | false;
}

type Env = Record<string, string | undefined>;
const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);
export const STORE_CALLBACK_PATH = '/store/callback';
const DEFAULT_LOOKUP = '/item/items?_limit=1';

/**
 * Reads the ULTRACART_OAUTH_* variables, or returns undefined when none is set (`main.ts` then
 * serves the flow from the UltraCart emulator, outside production). Values are never echoed.
 */
export function loadStoreSettings(env: Env = process.env, production = env.NODE_ENV === 'production'): StoreSettings | undefined {
  const clientId = present(env.ULTRACART_OAUTH_CLIENT_ID);
  const clientSecret = present(env.ULTRACART_OAUTH_CLIENT_SECRET);
  const callback = present(env.ULTRACART_OAUTH_CALLBACK_URL);
  const baseURL = present(env.ULTRACART_OAUTH_BASE_URL);
  const lookup = present(env.ULTRACART_OAUTH_MERCHANT_LOOKUP);
  if (clientId === undefined) {
    const other = [
      ['ULTRACART_OAUTH_CLIENT_SECRET', clientSecret],
      ['ULTRACART_OAUTH_CALLBACK_URL', callback],
      ['ULTRACART_OAUTH_BASE_URL', baseURL],
    ].find(([, v]) => v !== undefined);
    if (other) throw new ConfigError('ULTRACART_OAUTH_CLIENT_ID', `is missing: ${other[0]} is set, so set ULTRACART_OAUTH_CLIENT_ID too`);
    return undefined;
  }
  if (!/^[\x21-\x7e]{1,512}$/.test(clientId))
    throw new ConfigError('ULTRACART_OAUTH_CLIENT_ID', 'must be the Client ID of your Developer Application');
  if (clientSecret !== undefined && !/^[\x21-\x7e]{1,512}$/.test(clientSecret)) {
    throw new ConfigError('ULTRACART_OAUTH_CLIENT_SECRET', 'must be the client secret of your Developer Application, without spaces');
  }
  if (callback === undefined) {
    throw new ConfigError(
      'ULTRACART_OAUTH_CALLBACK_URL',
      `is required with ULTRACART_OAUTH_CLIENT_ID, e.g. https://shop.example.com${STORE_CALLBACK_PATH}`,
    );
  }
  const callbackURL = url('ULTRACART_OAUTH_CALLBACK_URL', callback, production);
  if (callbackURL.pathname !== STORE_CALLBACK_PATH || callbackURL.search || callbackURL.hash) {
    throw new ConfigError('ULTRACART_OAUTH_CALLBACK_URL', `must end in ${STORE_CALLBACK_PATH}, with no query or fragment`);
  }
  if (baseURL !== undefined) url('ULTRACART_OAUTH_BASE_URL', baseURL, production);
  let merchantLookup: string | false = DEFAULT_LOOKUP;
  if (lookup === 'off') merchantLookup = false;
  else if (lookup !== undefined) {
    if (!/^\/[\x21-\x7e]*$/.test(lookup) || lookup.startsWith('//')) {
      throw new ConfigError('ULTRACART_OAUTH_MERCHANT_LOOKUP', 'must be off, or a REST path such as /item/items?_limit=1');
    }
    merchantLookup = lookup;
  }
  return {
    clientId,
    ...(clientSecret !== undefined && { clientSecret }),
    callbackURL: callbackURL.href,
    ...(baseURL !== undefined && { baseURL: baseURL.replace(/\/+$/, '') }),
    merchantLookup,
  };
}

function url(variable: string, value: string, production: boolean): URL {
  let parsed: URL;
  try {
    parsed = new URL(value);
  } catch {
    throw new ConfigError(variable, 'must be an absolute URL');
  }
  if (parsed.username || parsed.password) throw new ConfigError(variable, 'must not carry a user name or password');
  const loopbackHttp = parsed.protocol === 'http:' && LOOPBACK_HOSTS.has(parsed.hostname);
  if (parsed.protocol !== 'https:' && (production || !loopbackHttp)) throw new ConfigError(variable, 'must be an https URL');
  return parsed;
}

function present(value: string | undefined): string | undefined {
  const trimmed = value?.trim();
  return trimmed === undefined || trimmed === '' ? undefined : trimmed;
}
