import { spawnExampleApp } from '../support/example-app-process.js';

export { ROOT } from '../support/example-app-process.js';

/** The example app running as a bare `npm start`, with the addresses the browser test needs. */
export interface ExampleAppProcess {
  /** The URL the app printed, e.g. `http://127.0.0.1:40123/`. */
  url: string;
  /** Origin of the UltraCart emulator it started (where the login page lives). */
  ultracartOrigin: string;
  /** Origin of the UltrapassId emulator it started (where the workflow page lives). */
  uauthOrigin: string;
  /** Origin of the UltrapassId OpenID Connect emulator (the issuer, where its login page lives). */
  oidcOrigin: string;
  /** Everything it printed so far, stdout and stderr interleaved. */
  output(): string;
  stop(): Promise<void>;
}

/** Starts the app on a free port with no configuration, so it starts both emulators, and waits for its URL. */
export async function startExampleApp(timeoutMs: number): Promise<ExampleAppProcess> {
  const app = spawnExampleApp({ PORT: '0' });
  try {
    const [, url] = await app.waitFor(/Example app ready: open (http:\/\/127\.0\.0\.1:\d+\/)/, timeoutMs);
    const ultracart = /UltraCart emulator: (http:\/\/127\.0\.0\.1:\d+)/.exec(app.output());
    const uauth = /UltrapassId emulator: (http:\/\/127\.0\.0\.1:\d+)/.exec(app.output());
    const oidc = /UltrapassId OpenID Connect emulator: (http:\/\/(?:127\.0\.0\.1|localhost):\d+)/.exec(app.output());
    if (!ultracart || !uauth || !oidc)
      throw new Error(`the app is ready but did not print the three emulator origins. Its output:\n${app.output()}`);
    return { url: url!, ultracartOrigin: ultracart[1]!, uauthOrigin: uauth[1]!, oidcOrigin: oidc[1]!, output: app.output, stop: app.stop };
  } catch (err) {
    await app.stop();
    throw err;
  }
}
