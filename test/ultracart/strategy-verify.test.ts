import { expect } from 'chai';
import type TestAgent from 'supertest/lib/agent.js';
import { FailureMessages, type UltraCartProfile, type UltraCartToken, type VerifyDone, type VerifyFunction } from '../../src/index.js';
import { beginSignIn, callbackPath, startHarness, type Harness, type HarnessOptions } from '../support/harness.js';

type AppUser = { id: string; login: string | undefined };
const userOf = (profile: UltraCartProfile): AppUser => ({ id: profile.id, login: profile.username });

/*
 * The verify function's style is decided by what it does, never by how many parameters it declares:
 * wrappers, rest parameters, default parameters and bind all change `verify.length`.
 */
describe('UltraCartStrategy: the verify function, in either style', () => {
  let h: Harness;
  afterEach(() => h.close());

  async function signIn(
    verify: unknown,
    options: HarnessOptions = {},
  ): Promise<{ status: number; body: { code?: string }; me: { user: AppUser | null; messages: string[] } }> {
    h = await startHarness({ ...options, verify: verify as VerifyFunction });
    const browser: TestAgent = h.browser();
    const callback = callbackPath(await h.emulator.approve(await beginSignIn(browser)));
    const res = await browser.get(callback);
    const me = (await browser.get('/me').expect(200)).body;
    return { status: res.status, body: res.body, me };
  }

  describe('when verify signs the user in', () => {
    const verifies: Array<[string, unknown]> = [
      ['a callback verify', (_k: string, _t: UltraCartToken, profile: UltraCartProfile, done: VerifyDone) => done(null, userOf(profile))],
      ['an async verify', async (_k: string, _t: UltraCartToken, profile: UltraCartProfile) => userOf(profile)],
      [
        'a verify returning a plain Promise',
        (_k: string, _t: UltraCartToken, profile: UltraCartProfile) => Promise.resolve(userOf(profile)),
      ],
      [
        'a wrapped callback verify, (...args) => inner(...args)',
        (...args: unknown[]) =>
          ((_k: string, _t: UltraCartToken, profile: UltraCartProfile, done: VerifyDone) =>
            setImmediate(() => done(null, userOf(profile))))(...(args as [string, UltraCartToken, UltraCartProfile, VerifyDone])),
      ],
      [
        'a callback verify with rest parameters',
        (_k: string, ...rest: [UltraCartToken, UltraCartProfile, VerifyDone]) => {
          setImmediate(() => rest[2](null, userOf(rest[1])));
        },
      ],
      [
        'a callback verify whose done has a default',
        (_k: string, _t: UltraCartToken, profile: UltraCartProfile, done: VerifyDone = () => undefined) => {
          done(null, userOf(profile));
        },
      ],
      [
        'a bound callback verify',
        function (this: { suffix: string }, _k: string, _t: UltraCartToken, profile: UltraCartProfile, done: VerifyDone) {
          done(null, { id: profile.id, login: `${profile.username}${this.suffix}` });
        }.bind({ suffix: '' }),
      ],
      [
        "@nestjs/passport's wrapper: async, calls done, then resolves to undefined",
        async (...params: unknown[]) => {
          const done = params[params.length - 1] as VerifyDone;
          done(null, userOf(params[2] as UltraCartProfile));
        },
      ],
      [
        'a verify that calls done twice (the second is ignored)',
        (_k: string, _t: UltraCartToken, profile: UltraCartProfile, done: VerifyDone) => {
          done(null, userOf(profile));
          done(new Error('second answer'));
        },
      ],
      [
        'an async verify that also calls done afterwards (ignored)',
        async (_k: string, _t: UltraCartToken, profile: UltraCartProfile, done: VerifyDone) => {
          setImmediate(() => done(new Error('late answer')));
          return userOf(profile);
        },
      ],
    ];
    for (const [name, verify] of verifies) {
      it(`signs the user in with ${name}`, async () => {
        const { status, me } = await signIn(verify);
        expect(status).to.equal(302);
        expect(me.user).to.include({ id: '1001', login: 'ada' });
        expect(h.emulator.count('revoke')).to.equal(0);
      });
    }

    it('signs the user in with a wrapped verify that takes the request first', async () => {
      const verify = (...args: unknown[]) => (args[4] as VerifyDone)(null, { id: (args[3] as UltraCartProfile).id, login: 'ada' });
      const { status, me } = await signIn(verify, { strategy: { passReqToCallback: true } as never });
      expect(status).to.equal(302);
      expect(me.user).to.include({ id: '1001' });
    });
  });

  describe('when verify refuses the user', () => {
    it('fails with 403 and its own message from done(null, false, info), and revokes the key', async () => {
      const { status, me } = await signIn((_k: string, _t: unknown, _p: unknown, done: VerifyDone) =>
        done(null, false, { message: 'Not a staff account' }),
      );
      expect(status).to.equal(403);
      expect(me.messages).to.deep.equal(['Not a staff account']);
      expect(h.emulator.count('revoke')).to.equal(1);
    });

    it('fails with 403 when a promise resolves to false, and revokes the key', async () => {
      const { status, me } = await signIn(async () => false);
      expect(status).to.equal(403);
      expect(me.messages).to.deep.equal([FailureMessages.notAllowed]);
      expect(h.emulator.count('revoke')).to.equal(1);
    });
  });

  describe('when verify breaks', () => {
    const breaking: Array<[string, unknown]> = [
      ['rejects', async () => Promise.reject(Object.assign(new Error('database down'), { status: 503 }))],
      [
        'throws',
        () => {
          throw Object.assign(new Error('database down'), { status: 503 });
        },
      ],
      [
        'calls done with an error',
        (_k: string, _t: unknown, _p: unknown, done: VerifyDone) => done(Object.assign(new Error('database down'), { status: 503 })),
      ],
    ];
    for (const [how, verify] of breaking) {
      it(`ends in the error when verify ${how}, signs nobody in, and revokes the key`, async () => {
        const { status, me } = await signIn(verify);
        expect(status).to.equal(503);
        expect(me.user).to.equal(null);
        expect(h.emulator.count('revoke')).to.equal(1);
      });
    }
  });

  describe('when verify never answers', () => {
    it('ends in a 500 VERIFY_TIMEOUT after verifyTimeoutMs instead of hanging, and revokes the key', async () => {
      const { status, body, me } = await signIn(() => undefined, { strategy: { verifyTimeoutMs: 300 } });
      expect(status).to.equal(500);
      expect(body.code).to.equal('VERIFY_TIMEOUT');
      expect(me.user).to.equal(null);
      expect(h.emulator.count('revoke')).to.equal(1);
    });

    it('does not take a returned user that is not a promise for an answer: it waits for done', async () => {
      const { status, body, me } = await signIn((_k: string, _t: unknown, profile: UltraCartProfile) => userOf(profile), {
        strategy: { verifyTimeoutMs: 300 },
      });
      expect(status).to.equal(500);
      expect(body.code).to.equal('VERIFY_TIMEOUT');
      expect(me.user).to.equal(null);
    });
  });
});
