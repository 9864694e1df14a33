import {
  DEFAULT_UAUTH_WORKFLOW_KEY,
  startUAuthEmulator,
  startUltraCartEmulator,
  startUltrapassIdOidcEmulator,
  type UAuthEmulator,
  type UltrapassIdOidcEmulator,
  type UltraCartEmulator,
  type UltraCartEmulatorOptions,
} from 'passport-ultracart/testing';
import request from 'supertest';
import type TestAgent from 'supertest/lib/agent.js';
import { createApp, type AppDeps, type ExampleApp } from '../../example-app/app.js';
import type { AppSettings } from '../../example-app/config.js';
import type { StoreSettings } from '../../example-app/store-config.js';
import { pathOf } from '../support/browser.js';
import { cookiePair } from '../support/cookies.js';

/** Where the test app believes it lives; supertest's port does not matter, only paths are requested. */
export const APP_ORIGIN = 'http://127.0.0.1:3999';
export const TEST_SECRET = 'test-session-secret-that-is-long-enough-0123456789';

export interface Example extends ExampleApp {
  ultracart: UltraCartEmulator;
  uauth: UAuthEmulator;
  /** UltrapassId's OpenID Connect emulator, behind "Verify identity with UltrapassId". */
  oidc: UltrapassIdOidcEmulator;
  settings: AppSettings;
  /** Lines the app logged. */
  logged: string[];
  /** A supertest agent keeping cookies, like one browser. */
  browser(): TestAgent;
}

export interface ExampleOptions {
  settings?: Partial<AppSettings>;
  deps?: AppDeps;
  ultracart?: UltraCartEmulatorOptions;
  /** Mount "Connect your UltraCart store" on the UltraCart emulator's OAuth side (settings as `main.ts` makes them, plus these). */
  store?: boolean | Partial<StoreSettings>;
}

export const OIDC_CALLBACK_URL = `${APP_ORIGIN}/verify/oidc/callback`;

/**
 * Settings pointing at the emulators, as `main.ts` builds them, with test-sized limits. Without an
 * OIDC emulator the OIDC issuer is a closed loopback port: the strategy only calls it on use.
 */
export function settingsFor(
  ultracart: UltraCartEmulator,
  uauth: UAuthEmulator,
  overrides: Partial<AppSettings> = {},
  oidc?: UltrapassIdOidcEmulator,
): AppSettings {
  return {
    production: false,
    trustProxy: undefined,
    hstsIncludeSubDomains: true,
    sessionSecrets: [TEST_SECRET],
    sessionSecretGenerated: false,
    redis: undefined,
    stateStore: 'session',
    rateLimit: { windowMs: 60_000, limit: 50 },
    sessionMaxAgeMs: 8 * 60 * 60 * 1000,
    pendingSessionMaxAgeMs: 15 * 60 * 1000,
    revokeTimeoutMs: 3000,
    emulated: true,
    ultracart: { simpleKey: ultracart.appKey, baseURL: ultracart.url, callbackURL: `${APP_ORIGIN}/auth/ultracart/callback` },
    uauth: {
      organizationKey: uauth.organizationKey,
      workflowKey: DEFAULT_UAUTH_WORKFLOW_KEY,
      baseURL: uauth.url,
      allowedRedirectOrigins: [uauth.origin],
    },
    oidc: {
      clientId: oidc?.clientId ?? 'emulator-client-id',
      issuer: oidc?.issuer ?? 'http://127.0.0.1:9',
      callbackURL: OIDC_CALLBACK_URL,
    },
    ...overrides,
  };
}

export const STORE_CALLBACK_URL = `${APP_ORIGIN}/store/callback`;

/** The store settings `main.ts` makes on the emulator: its confidential demo app, merchant looked up from the items. */
export function storeSettingsFor(ultracart: UltraCartEmulator): StoreSettings {
  return {
    clientId: ultracart.oauth.clientId,
    clientSecret: ultracart.oauth.clientSecret,
    baseURL: ultracart.url,
    callbackURL: STORE_CALLBACK_URL,
    merchantLookup: '/item/items?_limit=1',
  };
}

/** Starts both emulators and the example app on them. */
export async function startExample(options: ExampleOptions = {}): Promise<Example> {
  const ultracart = await startUltraCartEmulator(options.ultracart);
  const uauth = await startUAuthEmulator({ clientRedirectUrl: `${APP_ORIGIN}/verify/return` });
  const oidc = await startUltrapassIdOidcEmulator({ redirectUris: [OIDC_CALLBACK_URL] });
  const settings = settingsFor(ultracart, uauth, options.settings, oidc);
  if (options.store) settings.store = { ...storeSettingsFor(ultracart), ...(options.store === true ? {} : options.store) };
  const logged: string[] = [];
  const example = await createApp(settings, { log: (line) => logged.push(line), ...options.deps });
  return {
    ...example,
    ultracart,
    uauth,
    oidc,
    settings,
    logged,
    browser: () => request.agent(example.app),
    close: async () => {
      await example.close();
      await ultracart.close();
      await uauth.close();
      await oidc.close();
    },
  };
}

export { pathOf };

/** Starts a sign-in; resolves to UltraCart's login URL. */
export async function beginSignIn(browser: TestAgent, path = '/auth/ultracart'): Promise<string> {
  const res = await browser.get(path).expect(302);
  return res.headers.location as string;
}

/** Signs in through the emulator's login page; resolves to where the callback sent the browser. */
export async function signIn(ex: Example, browser: TestAgent, options: { login?: string; path?: string } = {}): Promise<string> {
  const loginUrl = await beginSignIn(browser, options.path);
  const callback = await ex.ultracart.approve(loginUrl, options.login);
  const res = await browser.get(pathOf(callback)).expect(302);
  return res.headers.location as string;
}

/** The CSRF token from the first form on a page. */
export function csrfTokenIn(html: string): string {
  const match = /name="_csrf" value="([^"]+)"/.exec(html);
  if (!match) throw new Error('no CSRF token on the page');
  return match[1]!;
}

/** Loads `page` and returns the CSRF token of its forms. */
export async function csrfToken(browser: TestAgent, page = '/profile'): Promise<string> {
  const res = await browser.get(page).expect(200);
  return csrfTokenIn(res.text);
}

/** The session cookie pair (`name=value`) from a response, if it set one. */
export function sessionCookieFrom(setCookie: string[] | string | undefined, name = 'ultracart-example.sid'): string | undefined {
  return cookiePair(setCookie, name);
}

/** Who the app says is signed in: the profile's login, or null when it sends the browser to sign in. */
export async function whoIsSignedIn(browser: TestAgent): Promise<string | null> {
  const res = await browser.get('/profile');
  if (res.status === 302) return null;
  return textById(res.text, 'profile-login') ?? 'unknown';
}

/** The text of the element with `id` (tags stripped, whitespace collapsed), or undefined when absent. */
export function textById(html: string, id: string): string | undefined {
  const match = new RegExp(`<(\\w+)[^>]*\\bid="${id}"[^>]*>([\\s\\S]*?)</\\1>`).exec(html);
  return match ? collapse(match[2]!) : undefined;
}

/** The cells of each row of the table with `id`, as text. */
export function tableRows(html: string, id: string): string[][] {
  const table = new RegExp(`<table[^>]*\\bid="${id}"[^>]*>([\\s\\S]*?)</table>`).exec(html)?.[1] ?? '';
  return [...table.matchAll(/<tr>([\s\S]*?)<\/tr>/g)].map((row) =>
    [...row[1]!.matchAll(/<t[dh][^>]*>([\s\S]*?)<\/t[dh]>/g)].map((cell) => collapse(cell[1]!)),
  );
}

function collapse(markup: string): string {
  return markup
    .replace(/<[^>]*>/g, '')
    .replace(/\s+/g, ' ')
    .trim();
}
