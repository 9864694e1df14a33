import { expect } from 'chai';
import type { IncomingMessage } from 'node:http';
import type TestAgent from 'supertest/lib/agent.js';
import {
  FailureMessages,
  UltraCartApiError,
  UltraCartStrategy,
  type StrategyOptions,
  type UltraCartAuthenticateOptions,
  type UltraCartProfile,
} from '../../src/index.js';
import { beginSignIn, CALLBACK_PATH, callbackPath, startHarness, type Harness, type HarnessOptions } from '../support/harness.js';

type Profile = UltraCartProfile & { merchantIds?: string[] };

/** A subclass as an application would write one: more in the profile, the return target from a header. */
class MerchantStrategy extends UltraCartStrategy {
  static profileCalls = 0;
  protected override async userProfile(simpleKey: string): Promise<Profile> {
    MerchantStrategy.profileCalls += 1;
    const profile = await super.userProfile(simpleKey);
    return { ...profile, merchantIds: (profile._json.linked_accounts ?? []).map((a) => a.merchant_id ?? '') };
  }
  protected override returnToFor(req: IncomingMessage, options: UltraCartAuthenticateOptions): string | undefined {
    const header = req.headers['x-return-to'];
    return typeof header === 'string' ? header : super.returnToFor(req, options);
  }
}

/** A subclass whose profile step says the key no longer works. */
class EndedStrategy extends UltraCartStrategy {
  protected override async userProfile(): Promise<UltraCartProfile> {
    throw new UltraCartApiError('key gone', { code: 'ULTRACART_SESSION_ENDED', endpoint: 'user', status: 401, upstreamStatus: 401 });
  }
}

describe('UltraCartStrategy: extension points and the already-signed-in redirect', () => {
  let h: Harness;
  afterEach(() => h.close());

  async function start(options: HarnessOptions): Promise<void> {
    h = await startHarness(options);
  }

  async function signedInBrowser(): Promise<TestAgent> {
    const browser = h.browser();
    await browser.get(callbackPath(await h.emulator.approve(await beginSignIn(browser)))).expect(302);
    return browser;
  }

  describe('a subclass overriding userProfile', () => {
    it('hands verify the profile it built, from the key the strategy obtained', async () => {
      let seen: Profile | undefined;
      await start({
        strategyClass: MerchantStrategy,
        emulator: { users: [{ user_id: 7, login: 'kim', linked_accounts: [{ merchant_id: 'DEMO' }] }] },
        verify: (_k, _t, profile, done) => {
          seen = profile as Profile;
          done(null, { id: profile.id });
        },
      });
      const browser = h.browser();
      await browser.get(callbackPath(await h.emulator.approve(await beginSignIn(browser), 'kim'))).expect(302);
      expect(seen?.merchantIds).to.deep.equal(['DEMO']);
      expect(seen?.id).to.equal('7');
      expect(MerchantStrategy.profileCalls).to.be.greaterThan(0);
    });

    it('fails the sign-in as "session ended", without revoking, when it reports ULTRACART_SESSION_ENDED', async () => {
      await start({ strategyClass: EndedStrategy });
      const browser = h.browser();
      const res = await browser.get(callbackPath(await h.emulator.approve(await beginSignIn(browser))));
      expect(res.status).to.equal(401);
      expect((await browser.get('/me')).body.messages).to.deep.equal([FailureMessages.sessionEnded]);
      expect(h.emulator.count('revoke')).to.equal(0);
    });
  });

  describe('a subclass overriding returnToFor', () => {
    it('returns the user to the path it chose', async () => {
      await start({ strategyClass: MerchantStrategy });
      const browser = h.browser();
      const login = await browser.get('/login').set('x-return-to', '/orders?page=2').expect(302);
      const res = await browser.get(callbackPath(await h.emulator.approve(login.headers.location as string))).expect(302);
      expect(res.headers.location).to.equal('/orders?page=2');
    });

    it('still cannot send the user off-site: its answer goes through safeReturnTo', async () => {
      await start({ strategyClass: MerchantStrategy });
      const browser = h.browser();
      const login = await browser.get('/login').set('x-return-to', '//evil.example/phish').expect(302);
      const res = await browser.get(callbackPath(await h.emulator.approve(login.headers.location as string))).expect(302);
      expect(res.headers.location).to.equal('/me');
    });
  });

  describe('a signed-in user opening the callback with nothing pending', () => {
    const stale = `${CALLBACK_PATH}?code=c&state=${'A'.repeat(43)}`;

    it('is sent to / by default', async () => {
      await start({});
      const res = await (await signedInBrowser()).get(stale).expect(302);
      expect(res.headers.location).to.equal('/');
    });

    it('is sent to signedInRedirect when it is set', async () => {
      await start({ strategy: { signedInRedirect: '/account?tab=orders' } });
      const res = await (await signedInBrowser()).get(stale).expect(302);
      expect(res.headers.location).to.equal('/account?tab=orders');
    });

    it('fails like anyone else with signedInRedirect: false, and stays signed in', async () => {
      await start({ strategy: { signedInRedirect: false } });
      const browser = await signedInBrowser();
      const res = await browser.get(stale);
      expect(res.status).to.equal(403);
      const me = (await browser.get('/me')).body;
      expect(me.user).to.include({ login: 'ada' });
      expect(me.messages).to.deep.equal([FailureMessages.noPendingSignIn]);
      expect(h.emulator.count('token')).to.equal(1);
    });
  });

  describe('signedInRedirect values that are not a safe same-origin path', () => {
    for (const value of ['//evil.example', 'https://evil.example/', '/\\evil.example', 'account', '/a\tb', '', true, 7]) {
      it(`refuses ${JSON.stringify(value)} at construction`, () => {
        expect(
          () =>
            new UltraCartStrategy(
              { callbackURL: 'https://shop.example.com/cb', simpleKey: 'k', signedInRedirect: value } as StrategyOptions,
              async () => false,
            ),
        ).to.throw(TypeError, /^UltraCartStrategy: the signedInRedirect option must be false or a same-origin path/);
      });
    }
  });
});
