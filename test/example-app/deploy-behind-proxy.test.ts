import { expect } from 'chai';
import { request as httpRequest } from 'node:http';
import { connect } from 'node:net';
import { networkInterfaces } from 'node:os';
import { startUltraCartEmulator, type UltraCartEmulator } from 'passport-ultracart/testing';
import {
  appProxyConfig,
  Browser,
  deploymentBench,
  deploymentToolsMissing,
  freePort,
  nginxBinary,
  stagingProxyConfig,
  startNginx,
  startProductionApp,
  type DeploymentBench,
  type RunningNginx,
} from '../support/deployment.js';
import type { ExampleAppProcess } from '../support/example-app-process.js';
import { csrfTokenIn, textById } from './support.js';

const KEY_LIFETIME_MS = 3_000;

/** What a request sent straight to the app's port (not through nginx) got back. */
interface DirectAnswer {
  status: number;
  location: string | undefined;
  setCookie: string[];
}

/** A GET to the app's own port from `localAddress`, as someone who found the port would send it. */
function directHit(port: number, path: string, headers: Record<string, string>, localAddress: string): Promise<DirectAnswer> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, path, headers, localAddress }, (res) => {
      res.resume();
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, location: res.headers.location, setCookie: res.headers['set-cookie'] ?? [] }),
      );
    });
    req.on('error', reject);
    req.end();
  });
}

function problemOf(html: string): string | undefined {
  return /data-problem="([^"]+)"/.exec(html)?.[1];
}

/**
 * The example app as an operator deploys it: `NODE_ENV=production` behind nginx terminating TLS
 * with the configuration docs/example-app.md shows, the staging emulators behind the same nginx
 * on public https origins (the app trusts the test certificate through NODE_EXTRA_CA_CERTS). One
 * nginx serves every scenario of this file, each on its own port.
 */
describe('example app: deployed behind nginx terminating TLS (the documented configuration)', function () {
  this.timeout(90_000);
  const missing = deploymentToolsMissing();
  const ports = { https: 0, http: 0, noProtoHttps: 0, noProtoHttp: 0, shortHttps: 0, shortHttp: 0 };
  let bench: DeploymentBench;
  let shortKeys: UltraCartEmulator;
  let app: { process: ExampleAppProcess; port: number };
  let shortApp: { process: ExampleAppProcess; port: number };
  let nginx: RunningNginx | undefined;
  let origin: string;

  before(async function () {
    if (missing) {
      console.log(`    skipped: ${missing}`);
      this.skip();
    }
    for (const name of Object.keys(ports) as Array<keyof typeof ports>) ports[name] = await freePort();
    origin = `https://127.0.0.1:${ports.https}`;
    bench = await deploymentBench(origin);
    // Serves https itself (the emulator's tls option), for the app whose keys expire quickly.
    shortKeys = await startUltraCartEmulator({ keyLifetimeMs: KEY_LIFETIME_MS, tls: { cert: bench.cert.cert, key: bench.cert.key } });
    const shortOrigin = `https://127.0.0.1:${ports.shortHttps}`;
    [app, shortApp] = await Promise.all([
      // The proxy's exact address, so a hit on the app port from any other address is not believed.
      startProductionApp(bench, { TRUST_PROXY: '127.0.0.1' }),
      startProductionApp(bench, {
        TRUST_PROXY: 'loopback',
        ULTRACART_BASE_URL: shortKeys.url,
        ULTRACART_SIMPLE_KEY: shortKeys.appKey,
        ULTRACART_CALLBACK_URL: `${shortOrigin}/auth/ultracart/callback`,
        ULTRAPASSID_CALLBACK_URL: `${shortOrigin}/verify/oidc/callback`,
      }),
    ]);
    const config = [
      appProxyConfig({ name: 'app_main', httpPort: ports.http, httpsPort: ports.https, appPorts: [app.port] }, bench.cert),
      appProxyConfig(
        {
          name: 'app_no_proto',
          httpPort: ports.noProtoHttp,
          httpsPort: ports.noProtoHttps,
          appPorts: [app.port],
          withoutForwardedProto: true,
        },
        bench.cert,
      ),
      appProxyConfig({ name: 'app_short', httpPort: ports.shortHttp, httpsPort: ports.shortHttps, appPorts: [shortApp.port] }, bench.cert),
      stagingProxyConfig(bench.emulatorProxyPorts, bench.emulatorPorts, bench.cert),
    ].join('\n');
    nginx = await startNginx(nginxBinary()!, bench.dir, config, [...Object.values(ports), ...bench.emulatorProxyPorts]);
    // A first sign-in warms each fresh process (TLS to the emulators, lazy modules), so the timed test below measures the app.
    await Promise.all([signedIn(), signedIn(`https://127.0.0.1:${ports.shortHttps}`, shortKeys)]);
  });

  after(async () => {
    await nginx?.stop();
    await Promise.all([app?.process.stop(), shortApp?.process.stop()]);
    await shortKeys?.close();
    await bench?.close();
  });

  beforeEach(() => {
    bench?.emulators.ultracart.reset();
    shortKeys?.reset();
  });

  /** Signs a new browser in through nginx at `at`; resolves to the browser. */
  async function signedIn(at = origin, ultracart = bench.emulators.ultracart): Promise<Browser> {
    const browser = new Browser(bench.agent);
    const started = await browser.get(`${at}/auth/ultracart`);
    expect(started.status).to.equal(302);
    const back = await ultracart.approve(started.headers.get('location')!);
    expect((await browser.get(back)).headers.get('location')).to.equal('/profile');
    return browser;
  }

  describe('with the documented configuration', () => {
    it('signs in over https with __Host- Secure cookies, HSTS, and every URL on the public https origins', async () => {
      const browser = new Browser(bench.agent);
      const started = await browser.get(`${origin}/auth/ultracart`);
      expect(started.status).to.equal(302);
      // The emulator's public origin, served by nginx: no response rewriting anywhere.
      expect(started.headers.get('location')).to.match(
        new RegExp(`^https://127\\.0\\.0\\.1:${bench.emulatorProxyPorts[0]}/login\\?request=`),
      );
      const cookie = started.headers.getSetCookie().find((c) => c.startsWith('__Host-ultracart-example.sid='));
      expect(cookie).to.match(/; Path=\/; Expires=[^;]+; HttpOnly; Secure; SameSite=Lax$/);
      const authorize = bench.emulators.ultracart.calls.find((call) => call.endpoint === 'authorize')!;
      expect(JSON.parse(authorize.body).redirect_uri).to.equal(`${origin}/auth/ultracart/callback`);
      const back = await bench.emulators.ultracart.approve(started.headers.get('location')!);
      expect(back.startsWith(`${origin}/auth/ultracart/callback?`)).to.equal(true);
      expect((await browser.get(back)).headers.get('location')).to.equal('/profile');
      const profile = await browser.get(`${origin}/profile`);
      expect(profile.status).to.equal(200);
      expect(textById(await profile.text(), 'profile-login')).to.equal('ada');
      expect(profile.headers.get('strict-transport-security')).to.equal('max-age=15552000; includeSubDomains');
    });

    it('sends plain http to https at the proxy', async () => {
      const res = await new Browser(bench.agent).get(`http://127.0.0.1:${ports.http}/profile`);
      expect(res.status).to.equal(301);
      expect(res.headers.get('location')).to.equal('https://127.0.0.1/profile');
    });

    it('verifies identity over OpenID Connect against the emulator on its public https origin, issuer and all', async () => {
      const browser = await signedIn();
      const token = csrfTokenIn(await (await browser.get(`${origin}/profile`)).text());
      const started = await browser.get(`${origin}/verify/oidc`, { method: 'POST', body: new URLSearchParams({ _csrf: token }) });
      expect(started.status).to.equal(302);
      const authorizeUrl = started.headers.get('location')!;
      expect(authorizeUrl).to.match(new RegExp(`^https://127\\.0\\.0\\.1:${bench.emulatorProxyPorts[2]}/oauth2/v2\\.0/authorize\\?`));
      const callback = await bench.emulators.oidc.approve(authorizeUrl);
      const done = await browser.get(callback.url);
      expect(done.status).to.equal(303);
      const profile = await (await browser.get(`${origin}/profile`)).text();
      // The ID token's iss is the public origin, which the app checked against ULTRAPASSID_ISSUER.
      expect(textById(profile, 'oidc-subject')).to.equal(bench.emulators.oidc.subjectOf('person-ada'));
      expect(bench.emulators.oidc.issuer).to.equal(`https://127.0.0.1:${bench.emulatorProxyPorts[2]}`);
    });

    it('runs the UAuth workflow against the emulator on its public https origin', async () => {
      const browser = await signedIn();
      const token = csrfTokenIn(await (await browser.get(`${origin}/profile`)).text());
      const started = await browser.get(`${origin}/verify`, { method: 'POST', body: new URLSearchParams({ _csrf: token }) });
      expect(started.status).to.equal(303);
      const workflowPage = started.headers.get('location')!;
      expect(workflowPage).to.match(new RegExp(`^https://127\\.0\\.0\\.1:${bench.emulatorProxyPorts[1]}/uauth\\?sessionId=`));
      const back = await bench.emulators.uauth.complete(workflowPage);
      expect(back.startsWith(`${origin}/verify/return?sessionId=`)).to.equal(true);
      expect((await browser.get(back)).headers.get('location')).to.equal('/verify/result');
      expect((await browser.get(`${origin}/verify/result`)).status).to.equal(200);
    });
  });

  describe('when someone hits the app port directly', () => {
    it('counts every forged X-Forwarded-For as the one real address, and believes no forged X-Forwarded-Proto', async () => {
      const answers: DirectAnswer[] = [];
      for (let i = 0; i < 25; i++) {
        answers.push(
          await directHit(app.port, '/auth/ultracart', { 'x-forwarded-for': `203.0.113.${i}`, 'x-forwarded-proto': 'https' }, '127.0.0.2'),
        );
      }
      // RATE_LIMIT_PER_MINUTE is 20: the 25 forged addresses were one client.
      expect(answers.filter((a) => a.status === 429)).to.have.length(5);
      for (const answer of answers.slice(0, 20)) {
        expect(answer.status).to.equal(302);
        expect(answer.location).to.equal('/auth/failed?reason=secureCookieOnHttp');
      }
      expect(answers.flatMap((a) => a.setCookie)).to.deep.equal([]);
      expect(bench.emulators.ultracart.count('authorize')).to.equal(0);
      expect(app.process.output()).to.include(
        'set-up problem: a request came from "127.0.0.2", which TRUST_PROXY=127.0.0.1 does not trust, so its X-Forwarded-Proto and X-Forwarded-For are ignored',
      );
    });

    it('listens on loopback only by default, so the port is closed on the machine’s other addresses', async function () {
      expect(app.process.output()).to.match(new RegExp(`listening on port ${app.port} at 127\\.0\\.0\\.1 `));
      const external = Object.values(networkInterfaces())
        .flat()
        .find((entry) => entry && entry.family === 'IPv4' && !entry.internal);
      if (!external) return this.skip();
      const refused = await new Promise<string>((resolve) => {
        const socket = connect(app.port, external.address);
        socket.once('connect', () => {
          socket.destroy();
          resolve('connected');
        });
        socket.once('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? 'error'));
      });
      expect(refused).to.equal('ECONNREFUSED');
    });
  });

  describe('behind a proxy that does not send X-Forwarded-Proto', () => {
    it('refuses the sign-in before calling UltraCart, shows "This site is not set up correctly", and logs the missing header', async () => {
      const browser = new Browser(bench.agent);
      const [refused, page] = await browser.follow(`https://127.0.0.1:${ports.noProtoHttps}/auth/ultracart`);
      expect(refused!.status).to.equal(302);
      expect(refused!.headers.get('location')).to.equal('/auth/failed?reason=secureCookieOnHttp');
      expect(refused!.headers.getSetCookie()).to.deep.equal([]);
      expect(page!.status).to.equal(403);
      const html = await page!.text();
      expect(problemOf(html)).to.equal('secureCookieOnHttp');
      expect(html).to.include('<h1>This site is not set up correctly</h1>');
      expect(bench.emulators.ultracart.count('authorize')).to.equal(0);
      expect(app.process.output()).to.include(
        'set-up problem: a request from the proxy at "127.0.0.1" (trusted by TRUST_PROXY=127.0.0.1) carries no X-Forwarded-Proto header',
      );
    });
  });

  describe('with simple keys that expire while the user is active', () => {
    it('ends the session when the key expires however often the user comes back, at the time the profile showed', async () => {
      const at = `https://127.0.0.1:${ports.shortHttps}`;
      const browser = await signedIn(at, shortKeys);
      const first = await browser.get(`${at}/profile`);
      expect(first.status, 'signing in took longer than the key lives: the machine is too slow for this test').to.equal(200);
      const endsAt = Date.parse(/id="key-expires"[^>]*>\s*<time datetime="([^"]+)"/.exec(await first.text())![1]!);
      expect(endsAt).to.be.within(Date.now(), Date.now() + KEY_LIFETIME_MS);
      let signedOutAt: number | undefined;
      const cookieExpiries: number[] = [];
      // Active until well past the expiry: a request every 100 ms, which each touch the session.
      while (signedOutAt === undefined && Date.now() < endsAt + 2_000) {
        const sentAt = Date.now();
        const res = await browser.get(`${at}/profile`);
        await res.arrayBuffer();
        for (const c of res.headers.getSetCookie()) {
          const expires = /Expires=([^;]+)/.exec(c)?.[1];
          if (c.startsWith('__Host-ultracart-example.sid=') && expires && !/Max-Age=0|1970/.test(c))
            cookieExpiries.push(Date.parse(expires));
        }
        if (res.status === 302) {
          signedOutAt = Date.now();
          // Back to /profile signed out (the app ended the session), or to sign in (the store had expired it).
          expect(res.headers.get('location')).to.match(/^\/profile$|^\/\?returnTo=%2Fprofile(?:&session=not-found)?$/);
        } else {
          expect(res.status).to.equal(200);
          // Signed in only while the deadline has not passed (give or take the length of a request).
          expect(sentAt).to.be.below(endsAt + 1_000);
        }
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      expect(signedOutAt, 'the user was still signed in 2 s after the key expired').to.be.a('number');
      expect(signedOutAt!).to.be.at.least(endsAt);
      for (const expiry of cookieExpiries) expect(expiry).to.be.at.most(endsAt + 1_000);
      // Ended by the app at the deadline, or by the store, whose expiry touch() no longer pushes past it.
      expect(shortApp.process.output()).to.match(/session ended at its deadline|session cookie not recognised on GET "\/profile"/);
    });
  });
});
