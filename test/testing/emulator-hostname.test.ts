import { expect } from 'chai';
import { startUAuthEmulator, startUltraCartEmulator, type UltraCartEmulator } from '../../src/testing/index.js';
import { Browser, pathOf } from '../support/browser.js';
import { startFastifyHarness, type FastifyHarness } from '../support/fastify-harness.js';

describe('Emulators named localhost, on another site than an app on 127.0.0.1', () => {
  let emulator: UltraCartEmulator;
  let harness: FastifyHarness;
  before(async () => {
    emulator = await startUltraCartEmulator({ hostname: 'localhost' });
    harness = await startFastifyHarness(emulator, 'secure-session');
  });
  after(async () => {
    await harness.close();
    await emulator.close();
  });

  it('put localhost in every URL they hand out', async () => {
    expect(emulator.url).to.match(/^http:\/\/localhost:\d+\/rest\/v2$/);
    const uauth = await startUAuthEmulator({ hostname: 'localhost' });
    try {
      expect(uauth.origin).to.match(/^http:\/\/localhost:\d+$/);
    } finally {
      await uauth.close();
    }
  });

  it('send the browser to a login page on localhost, and back to the app on 127.0.0.1 signed in', async () => {
    const browser = new Browser(harness.origin);
    const begin = await browser.get('/login');
    const loginUrl = new URL(begin.headers.get('location')!);
    expect(loginUrl.origin).to.equal(emulator.origin);
    const callback = await emulator.approve(loginUrl.href);
    expect(new URL(callback).origin).to.equal(harness.origin);
    expect((await browser.get(pathOf(callback))).status).to.equal(302);
    expect(((await (await browser.get('/me')).json()) as { user: { login: string } }).user.login).to.equal('ada');
  });
});
