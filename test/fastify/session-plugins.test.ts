import { expect } from 'chai';
import { startUltraCartEmulator, type UltraCartEmulator } from '../../src/testing/index.js';
import { Browser, pathOf } from '../support/browser.js';
import { FASTIFY_CALLBACK_PATH, startFastifyHarness, type FastifyHarness, type FastifySessionPlugin } from '../support/fastify-harness.js';

/** A state of the right shape that UltraCart never saw. */
const FORGED_STATE = 'A'.repeat(43);

for (const plugin of ['secure-session', 'session'] as FastifySessionPlugin[]) {
  describe(`Under @fastify/passport with @fastify/${plugin}`, () => {
    let emulator: UltraCartEmulator;
    let harness: FastifyHarness;
    beforeEach(async () => {
      emulator = await startUltraCartEmulator();
      harness = await startFastifyHarness(emulator, plugin);
    });
    afterEach(async () => {
      await harness.close();
      await emulator.close();
    });

    async function begin(browser: Browser): Promise<string> {
      const res = await browser.get('/login');
      expect(res.status).to.equal(302);
      return emulator.approve(res.headers.get('location')!);
    }

    it('signs a browser in', async () => {
      const browser = new Browser(harness.origin);
      const callback = await begin(browser);
      const res = await browser.get(pathOf(callback));
      expect(res.status).to.equal(302);
      expect(res.headers.get('location')).to.equal('/me');
      expect(((await (await browser.get('/me')).json()) as { user: { login: string } }).user.login).to.equal('ada');
      expect(emulator.count('token')).to.equal(1);
    });

    it('lets a wrong state sent first use up the real one, so the real callback then fails', async () => {
      const browser = new Browser(harness.origin);
      const callback = await begin(browser);
      const wrong = await browser.get(`${FASTIFY_CALLBACK_PATH}?code=whatever&state=${FORGED_STATE}`);
      expect(wrong.status).to.equal(403);
      expect(((await wrong.json()) as { reason: string }).reason).to.equal('stateMismatch');

      const real = await browser.get(pathOf(callback));
      expect(real.status).to.equal(403);
      expect(((await real.json()) as { reason: string }).reason).to.not.equal(null);
      expect(emulator.count('token')).to.equal(0);
      expect(((await (await browser.get('/me')).json()) as { user: unknown }).user).to.equal(null);
    });

    it('honours one of many concurrent replays of the same callback', async () => {
      const browser = new Browser(harness.origin);
      const callback = await begin(browser);
      // Every replay carries the cookie the browser held before the first answer came back.
      const cookie = `sid=${browser.cookie('sid')}`;
      const answers = await Promise.all(
        Array.from({ length: 10 }, () => fetch(new URL(pathOf(callback), harness.origin), { headers: { cookie }, redirect: 'manual' })),
      );
      expect(answers.filter((r) => r.status === 302)).to.have.length(1);
      expect(answers.filter((r) => r.status === 403)).to.have.length(9);
      expect(emulator.count('token')).to.equal(1);
    });

    it('refuses a sequential replay of the old session cookie after a successful sign-in', async () => {
      const browser = new Browser(harness.origin);
      const callback = await begin(browser);
      const cookie = `sid=${browser.cookie('sid')}`;
      expect((await browser.get(pathOf(callback))).status).to.equal(302);
      const replay = await fetch(new URL(pathOf(callback), harness.origin), { headers: { cookie }, redirect: 'manual' });
      expect(replay.status).to.equal(403);
      expect(emulator.count('token')).to.equal(1);
    });
  });
}
