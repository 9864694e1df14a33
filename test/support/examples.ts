import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  DEFAULT_UAUTH_WORKFLOW_KEY,
  startUAuthEmulator,
  startUltraCartEmulator,
  startUltrapassIdOidcEmulator,
  type UAuthEmulator,
  type UltraCartEmulator,
  type UltrapassIdOidcEmulator,
} from '../../src/testing/index.js';
import type { Browser } from './browser.js';

/** Both emulators and a listening server for an example app, whose origin is known before the app is built. */
export interface ExampleStage {
  ultracart: UltraCartEmulator;
  upid: UAuthEmulator;
  /** UltrapassId's OpenID Connect provider, accepting any redirect URI. */
  oidc: UltrapassIdOidcEmulator;
  server: Server;
  origin: string;
  workflowKey: string;
  close(): Promise<void>;
}

/**
 * Starts the emulators (the login pages on `localhost`, another site than the app on 127.0.0.1,
 * as the real vendors are) and an http.Server on a free port of 127.0.0.1 for the example to serve on.
 */
export async function startExampleStage(verifyReturnPath: string): Promise<ExampleStage> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const ultracart = await startUltraCartEmulator({ hostname: 'localhost' });
  const upid = await startUAuthEmulator({ hostname: 'localhost', clientRedirectUrl: `${origin}${verifyReturnPath}` });
  const oidc = await startUltrapassIdOidcEmulator({ hostname: 'localhost' });
  return {
    ultracart,
    upid,
    oidc,
    server,
    origin,
    workflowKey: DEFAULT_UAUTH_WORKFLOW_KEY,
    close: async () => {
      await Promise.all([ultracart.close(), upid.close(), oidc.close()]);
      if (server.listening) await new Promise((resolve) => server.close(resolve));
    },
  };
}

/** Follows one sign-in through the UltraCart emulator's login page, as a browser would; returns the callback's answer. */
export async function signInThrough(stage: ExampleStage, browser: Browser, path = '/login'): Promise<Response> {
  const begin = await browser.get(path);
  if (begin.status !== 302) throw new Error(`expected the sign-in route to redirect, got ${begin.status}`);
  const callback = await stage.ultracart.approve(begin.headers.get('location')!);
  const url = new URL(callback);
  return browser.arriveFrom(stage.ultracart.origin, url.pathname + url.search);
}

/** Runs the UltrapassId check: the POST that starts it, the workflow page, and the return to the app. */
export async function verifyThrough(stage: ExampleStage, browser: Browser, path = '/verify'): Promise<Response> {
  const start = await browser.post(path, {});
  if (start.status !== 303) throw new Error(`expected the verify route to answer 303, got ${start.status}`);
  const back = new URL(await stage.upid.complete(start.headers.get('location')!));
  return browser.arriveFrom(stage.upid.origin, back.pathname + back.search);
}
