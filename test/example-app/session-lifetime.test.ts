import { expect } from 'chai';
import { sessionDeadline } from '../../example-app/session-lifetime.js';
import { signIn, startExample, textById, whoIsSignedIn, type Example } from './support.js';

const MAX_AGE_MS = 1_200;

describe('example app: how long a signed-in session lasts', () => {
  let ex: Example;
  afterEach(() => ex.close());

  describe('when the longest session ends before UltraCart’s key expires', () => {
    beforeEach(async () => {
      ex = await startExample({ settings: { sessionMaxAgeMs: MAX_AGE_MS } });
    });

    it('shows that end on the profile, and ends the session then however active the user is', async () => {
      const browser = ex.browser();
      const before = Date.now();
      await signIn(ex, browser);
      const profile = await browser.get('/profile').expect(200);
      const endsAt = Date.parse(/id="key-expires"[^>]*>\s*<time datetime="([^"]+)"/.exec(profile.text)![1]!);
      expect(endsAt).to.be.within(before + MAX_AGE_MS, Date.now() + MAX_AGE_MS);
      expect(textById(profile.text, 'key-expires')).to.match(/\(the longest a session lasts here; UltraCart's key would last longer\)$/);
      // A request every 100 ms, each of which express-session would take as a reason to extend the session.
      let signedOutAt: number | undefined;
      while (signedOutAt === undefined && Date.now() < endsAt + 1_000) {
        if ((await whoIsSignedIn(browser)) === null) signedOutAt = Date.now();
        else await new Promise((resolve) => setTimeout(resolve, 100));
      }
      expect(signedOutAt, 'still signed in a second after the end').to.be.a('number');
      // The cookie's Expires has whole seconds, so the browser may drop it in the second before the end; never after it.
      expect(signedOutAt!).to.be.within(Math.floor(endsAt / 1000) * 1000 - 150, endsAt + 300);
    });
  });

  describe('sessionDeadline', () => {
    const settings = { sessionMaxAgeMs: 1000 } as Parameters<typeof sessionDeadline>[0];

    it('is the key’s expiry when that comes first', () => {
      expect(sessionDeadline(settings, new Date(10_500), 10_000)).to.equal(10_500);
    });

    it('is the longest session when the key lasts longer, or gave no expiry', () => {
      expect(sessionDeadline(settings, '1970-01-01T00:01:00.000Z', 10_000)).to.equal(11_000);
      expect(sessionDeadline(settings, null, 10_000)).to.equal(11_000);
    });
  });
});
