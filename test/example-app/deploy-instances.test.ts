import { sharedRedisUrl } from '../support/redis-server.js';
import { expect } from 'chai';
import { randomBytes } from 'node:crypto';
import { createClient } from 'redis';
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
import { textById } from './support.js';

type Instance = { process: ExampleAppProcess; port: number };

/**
 * Two example-app instances in production behind one nginx (round robin, the documented
 * configuration), first without shared sessions, as an operator who scaled out without Redis
 * would run them, then on one Redis. The staging emulators stand in for the vendors.
 */
describe('example app: two instances behind nginx', function () {
  this.timeout(90_000);
  const missing = deploymentToolsMissing();
  const redisUrl = process.env.REDIS_URL;
  const prefix = `deploy-instances-${process.pid}-${randomBytes(4).toString('hex')}:`;
  const ports = { unshared: 0, unsharedHttp: 0, shared: 0, sharedHttp: 0 };
  let bench: DeploymentBench;
  let unshared: Instance[] = [];
  let shared: Instance[] = [];
  let nginx: RunningNginx | undefined;

  before(async function () {
    if (missing) {
      console.log(`    skipped: ${missing}`);
      this.skip();
    }
    for (const name of Object.keys(ports) as Array<keyof typeof ports>) ports[name] = await freePort();
    const unsharedOrigin = `https://127.0.0.1:${ports.unshared}`;
    const sharedOrigin = `https://127.0.0.1:${ports.shared}`;
    bench = await deploymentBench(unsharedOrigin);
    const callbacks = (origin: string): Record<string, string> => ({
      TRUST_PROXY: 'loopback',
      ULTRACART_CALLBACK_URL: `${origin}/auth/ultracart/callback`,
      ULTRAPASSID_CALLBACK_URL: `${origin}/verify/oidc/callback`,
    });
    // The cookie state store: the callback works on either instance, the signed-in session does not.
    const withoutRedis = { ...callbacks(unsharedOrigin), ULTRACART_STATE_STORE: 'cookie' };
    const withRedis = { ...callbacks(sharedOrigin), REDIS_URL: redisUrl ?? '', REDIS_PREFIX: prefix };
    const started = await Promise.all([
      startProductionApp(bench, withoutRedis),
      startProductionApp(bench, withoutRedis),
      ...(redisUrl ? [startProductionApp(bench, withRedis), startProductionApp(bench, withRedis)] : []),
    ]);
    unshared = started.slice(0, 2);
    shared = started.slice(2);
    const config = [
      appProxyConfig(
        { name: 'unshared', httpPort: ports.unsharedHttp, httpsPort: ports.unshared, appPorts: unshared.map((i) => i.port) },
        bench.cert,
      ),
      ...(redisUrl
        ? [
            appProxyConfig(
              { name: 'shared', httpPort: ports.sharedHttp, httpsPort: ports.shared, appPorts: shared.map((i) => i.port) },
              bench.cert,
            ),
          ]
        : []),
      stagingProxyConfig(bench.emulatorProxyPorts, bench.emulatorPorts, bench.cert),
    ].join('\n');
    const listening = [
      ports.unshared,
      ports.unsharedHttp,
      ...(redisUrl ? [ports.shared, ports.sharedHttp] : []),
      ...bench.emulatorProxyPorts,
    ];
    nginx = await startNginx(nginxBinary()!, bench.dir, config, listening);
  });

  after(async () => {
    await nginx?.stop();
    await Promise.all([...unshared, ...shared].map((instance) => instance.process.stop()));
    await bench?.close();
    if (!redisUrl || missing) return;
    const admin = createClient({ url: redisUrl });
    await admin.connect();
    const keys: string[] = [];
    for await (const batch of admin.scanIterator({ MATCH: `${prefix}*`, COUNT: 100 })) keys.push(...batch);
    if (keys.length > 0) await admin.del(keys);
    await admin.close();
  });

  /** Starts a sign-in at `origin`, approves it, and follows the callback's redirects: every answer on the way. */
  async function signInAndFollow(browser: Browser, origin: string): Promise<Response[]> {
    const started = await browser.get(`${origin}/auth/ultracart`);
    expect(started.status).to.equal(302);
    return browser.follow(await bench.emulators.ultracart.approve(started.headers.get('location')!));
  }

  describe('without shared sessions', () => {
    it('warns at start-up, on each instance, that production runs without REDIS_URL', () => {
      for (const instance of unshared)
        expect(instance.process.output()).to.include('Warning: REDIS_URL is not set: sessions live in this instance’s memory');
    });

    it('lands on the sign-in page saying the session was not found, rather than bouncing between the instances, and logs why', async () => {
      const browser = new Browser(bench.agent);
      const answers = await signInAndFollow(browser, `https://127.0.0.1:${ports.unshared}`);
      const trail = answers.map((res) => `${res.status} ${res.headers.get('location') ?? ''}`);
      // The callback (one instance), /profile (the other), the sign-in page (the first again): then it stops.
      expect(answers, trail.join(', ')).to.have.length(3);
      expect(trail.slice(0, 2)).to.deep.equal(['302 /profile', '302 /?returnTo=%2Fprofile&session=not-found']);
      const last = answers[2]!;
      expect(last.status).to.equal(200);
      expect(textById(await last.text(), 'session-not-found')).to.match(/^Your session was not found\./);
      // The instance that did not know the session said so, with the likely causes.
      const logs = unshared.map((instance) => instance.process.output()).join('\n');
      expect(logs).to.include('session cookie not recognised on GET "/profile"');
      expect(logs).to.include('or another instance made it (without REDIS_URL each instance keeps its own sessions)');
    });
  });

  describe('sharing sessions on one Redis', () => {
    before(async function () {
      await sharedRedisUrl(this);
    });

    it('signs in through either instance and stays signed in on both, with no warning and no unknown session', async () => {
      const browser = new Browser(bench.agent);
      const origin = `https://127.0.0.1:${ports.shared}`;
      const answers = await signInAndFollow(browser, origin);
      expect(answers.map((res) => res.status)).to.deep.equal([302, 200]);
      expect(textById(await answers[1]!.text(), 'profile-login')).to.equal('ada');
      for (let i = 0; i < 4; i++) {
        const res = await browser.get(`${origin}/profile`);
        expect(res.status, `request ${i + 1}`).to.equal(200);
        expect(textById(await res.text(), 'profile-login')).to.equal('ada');
      }
      for (const instance of shared) {
        expect(instance.process.output()).to.not.include('REDIS_URL is not set');
        expect(instance.process.output()).to.not.include('session cookie not recognised');
      }
    });
  });
});
