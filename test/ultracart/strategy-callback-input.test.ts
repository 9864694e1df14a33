import { expect } from 'chai';
import request from 'supertest';
import type TestAgent from 'supertest/lib/agent.js';
import { FailureMessages } from '../../src/index.js';
import { requireCookiePair } from '../support/cookies.js';
import {
  beginSignIn,
  CALLBACK_PATH,
  callbackPath,
  lastState,
  me,
  startHarness,
  type Harness,
  type HarnessOptions,
} from '../support/harness.js';
import { pause } from '../support/time.js';

/** The callback URL with its query string replaced: what a tampered redirect would deliver. */
function callbackWith(query: string): string {
  return `${CALLBACK_PATH}?${query}`;
}

/** A 43-character base64url value that is not the state we issued: the shape of a good guess. */
function otherState(state: string): string {
  return (state[0] === 'A' ? 'B' : 'A') + state.slice(1);
}

describe('UltraCartStrategy: what the browser brings back to the callback', () => {
  let h: Harness;
  afterEach(() => h.close());

  async function start(options: HarnessOptions = {}): Promise<void> {
    h = await startHarness(options);
  }

  /** One browser with a sign-in pending; resolves to its state and UltraCart's login URL. */
  async function pendingSignIn(): Promise<{ browser: TestAgent; state: string; loginUrl: string }> {
    const browser = h.browser();
    const loginUrl = await beginSignIn(browser);
    return { browser, state: lastState(h.emulator), loginUrl };
  }

  describe('the state is missing', () => {
    beforeEach(() => start());

    it('fails with 403, saying the sign-in does not match this browser, and never calls /sso/token', async () => {
      const { browser } = await pendingSignIn();
      const res = await browser.get(callbackWith('code=c')).expect(403);
      expect(res.headers.location).to.equal(undefined);
      expect((await me(browser)).messages).to.deep.equal([FailureMessages.stateMismatch]);
      expect(h.emulator.count('token')).to.equal(0);
    });

    it('uses up the pending state, so the genuine callback that follows fails too', async () => {
      const { browser, loginUrl } = await pendingSignIn();
      const genuine = callbackPath(await h.emulator.approve(loginUrl));
      await browser.get(callbackWith('code=c')).expect(403);
      await browser.get(genuine).expect(403);
      expect((await me(browser)).user).to.equal(null);
      expect(h.emulator.count('token')).to.equal(0);
    });
  });

  describe('empty values', () => {
    beforeEach(() => start());

    for (const query of ['code=&state=', 'code', 'state=', 'code=c&state=']) {
      it(`treats ?${query} as a missing state and fails with 403 without calling UltraCart`, async () => {
        const { browser } = await pendingSignIn();
        await browser.get(callbackWith(query)).expect(403);
        expect((await me(browser)).user).to.equal(null);
        expect(h.emulator.count('token')).to.equal(0);
      });
    }

    it('treats an empty code with the right state as missing and fails with 400', async () => {
      const { browser, state } = await pendingSignIn();
      await browser.get(callbackWith(`code=&state=${state}`)).expect(400);
      expect((await me(browser)).messages).to.deep.equal([FailureMessages.missingCode]);
      expect(h.emulator.count('token')).to.equal(0);
    });
  });

  describe('duplicated parameters', () => {
    it('fails with 400 when the state is repeated, even with the same value twice', async () => {
      await start();
      const { browser, state } = await pendingSignIn();
      await browser.get(callbackWith(`code=c&state=${state}&state=${state}`)).expect(400);
      expect((await me(browser)).messages).to.deep.equal([FailureMessages.stateMalformed]);
      expect(h.emulator.count('token')).to.equal(0);
    });

    it('uses up the pending state when the state is repeated', async () => {
      await start();
      const { browser, state, loginUrl } = await pendingSignIn();
      const genuine = callbackPath(await h.emulator.approve(loginUrl));
      await browser.get(callbackWith(`code=c&state=${state}&state=${state}`)).expect(400);
      await browser.get(genuine).expect(403);
      expect(h.emulator.count('token')).to.equal(0);
    });

    it('fails with 400 when the code is repeated, without joining the values into one code', async () => {
      await start();
      const { browser, state } = await pendingSignIn();
      await browser.get(callbackWith(`code=a&code=b&state=${state}`)).expect(400);
      expect((await me(browser)).messages).to.deep.equal([FailureMessages.malformedCode]);
      expect(h.emulator.count('token')).to.equal(0);
    });

    it("fails with 400 when the app's extended query parser turns state[x]=1 into an object", async () => {
      await start({ queryParser: 'extended' });
      const { browser } = await pendingSignIn();
      await browser.get(callbackWith('code=c&state[x]=1')).expect(400);
      expect((await me(browser)).messages).to.deep.equal([FailureMessages.stateMalformed]);
      expect(h.emulator.count('token')).to.equal(0);
    });

    it('fails with 400 for state[x]=1 under Express 4, whose default query parser is the extended one', async () => {
      await start({ express4: true });
      const { browser } = await pendingSignIn();
      await browser.get(callbackWith('code=c&state[x]=1')).expect(400);
      expect((await me(browser)).messages).to.deep.equal([FailureMessages.stateMalformed]);
      expect(h.emulator.count('token')).to.equal(0);
    });

    it("fails with 400 when the app's extended query parser turns code[x]=1 into an object", async () => {
      await start({ queryParser: 'extended' });
      const { browser, state } = await pendingSignIn();
      await browser.get(callbackWith(`code[x]=1&state=${state}`)).expect(400);
      expect((await me(browser)).messages).to.deep.equal([FailureMessages.malformedCode]);
      expect(h.emulator.count('token')).to.equal(0);
    });
  });

  describe('oversized values', () => {
    beforeEach(() => start());

    it('fails with 400 for a 600-character state, without calling UltraCart', async () => {
      const { browser } = await pendingSignIn();
      const res = await browser.get(callbackWith(`code=c&state=${'s'.repeat(600)}`)).expect(400);
      expect(res.text).to.not.include('s'.repeat(600));
      expect(h.emulator.count('token')).to.equal(0);
    });

    it('fails with 400 for a 600-character code with the right state, without calling UltraCart', async () => {
      const { browser, state } = await pendingSignIn();
      await browser.get(callbackWith(`code=${'c'.repeat(600)}&state=${state}`)).expect(400);
      expect((await me(browser)).messages).to.deep.equal([FailureMessages.malformedCode]);
      expect(h.emulator.count('token')).to.equal(0);
    });

    it('never reaches the app with a query over 16 KB: Node answers 431', async () => {
      const { browser } = await pendingSignIn();
      await browser.get(callbackWith(`code=c&state=${'s'.repeat(17 * 1024)}`)).expect(431);
      expect(h.emulator.count('token')).to.equal(0);
    });
  });

  describe('bad characters in the state', () => {
    beforeEach(() => start());

    const variants: Array<[string, (state: string) => string]> = [
      ['a NUL', (s) => `${s.slice(0, 42)}\u0000`],
      ['CR/LF', (s) => `${s.slice(0, 41)}\r\n`],
      ['non-ASCII', (s) => `${s.slice(0, 42)}é`],
      ['a percent sign', (s) => `${s.slice(0, 42)}%`],
    ];
    for (const [what, tamper] of variants) {
      it(`fails with 403 for a state of the right length holding ${what}, and does not echo it`, async () => {
        const { browser, state } = await pendingSignIn();
        const bad = tamper(state);
        const res = await browser.get(callbackWith(`code=c&state=${encodeURIComponent(bad)}`)).expect(403);
        expect(res.headers.location).to.equal(undefined);
        expect(res.text).to.not.include(bad);
        expect(JSON.stringify(res.headers)).to.not.include(state.slice(0, 20));
        expect(h.emulator.count('token')).to.equal(0);
      });
    }

    it('fails with 403 for %-junk that does not decode', async () => {
      const { browser, state } = await pendingSignIn();
      await browser.get(callbackWith(`code=c&state=${state.slice(0, 40)}%E0%A4%A`)).expect(403);
      expect((await me(browser)).user).to.equal(null);
      expect(h.emulator.count('token')).to.equal(0);
    });
  });

  describe('a state from another browser (login CSRF)', () => {
    beforeEach(() => start());

    it("refuses the attacker's approved callback in the victim's browser with 403, leaving the victim's session as it was", async () => {
      const attacker = await pendingSignIn();
      const planted = callbackPath(await h.emulator.approve(attacker.loginUrl, 'grace'));
      const victim = await pendingSignIn();
      const before = (await me(victim.browser)).sessionID;
      await victim.browser.get(planted).expect(403);
      const after = await me(victim.browser);
      expect(after.user).to.equal(null);
      expect(after.sessionID).to.equal(before);
      expect(after.messages).to.deep.equal([FailureMessages.stateMismatch]);
      expect(h.emulator.count('token')).to.equal(0);
    });

    it("refuses the attacker's callback with 403 in a browser that started no sign-in", async () => {
      const attacker = await pendingSignIn();
      const planted = callbackPath(await h.emulator.approve(attacker.loginUrl, 'grace'));
      const victim = h.browser();
      const res = await victim.get(planted).expect(403);
      expect(res.headers['set-cookie']).to.equal(undefined);
      const after = await me(victim);
      expect(after.user).to.equal(null);
      expect(after.messages).to.deep.equal([]);
      expect(h.emulator.count('token')).to.equal(0);
    });

    it("leaves the attacker's own sign-in unusable once the victim's browser has refused it (the code is not spent)", async () => {
      const attacker = await pendingSignIn();
      const planted = callbackPath(await h.emulator.approve(attacker.loginUrl, 'grace'));
      await h.browser().get(planted).expect(403);
      // The attacker still holds the pending state, and the code was never sent to UltraCart.
      await attacker.browser.get(planted).expect(302);
      expect((await me(attacker.browser)).user?.login).to.equal('grace');
      expect(h.emulator.count('token')).to.equal(1);
    });
  });

  describe('no pending state', () => {
    beforeEach(() => start());

    it('fails with 403 when the callback is opened directly, and gives the browser no session', async () => {
      const browser = h.browser();
      const res = await browser.get(CALLBACK_PATH).expect(403);
      expect(res.headers.location).to.equal(undefined);
      expect(res.headers['set-cookie']).to.equal(undefined);
      expect((await me(browser)).messages).to.deep.equal([]);
      expect(h.emulator.count('authorize')).to.equal(0);
      expect(h.emulator.count('token')).to.equal(0);
    });

    it('fails with 403 for a well-formed state when this browser started no sign-in', async () => {
      const browser = h.browser();
      const res = await browser.get(callbackWith(`code=c&state=${'A'.repeat(43)}`)).expect(403);
      expect(res.headers['set-cookie']).to.equal(undefined);
      expect((await me(browser)).messages).to.deep.equal([]);
      expect(h.emulator.count('token')).to.equal(0);
    });

    it('sends an already signed-in user to / instead of failing, still signed in as before', async () => {
      const { browser, loginUrl } = await pendingSignIn();
      await browser.get(callbackPath(await h.emulator.approve(loginUrl))).expect(302);
      const before = await me(browser);
      const res = await browser.get(callbackWith(`code=c&state=${'A'.repeat(43)}`)).expect(302);
      expect(res.headers.location).to.equal('/');
      const after = await me(browser);
      expect(after.user?.login).to.equal('ada');
      expect(after.sessionID).to.equal(before.sessionID);
      expect(h.emulator.count('token')).to.equal(1);
    });
  });

  describe('a callback replayed after success', () => {
    beforeEach(() => start());

    it('fails with 403 when replayed with the pre-login session cookie, and calls /sso/token only once', async () => {
      const browser = h.browser();
      const login = await browser.get('/login').expect(302);
      const oldCookie = requireCookiePair(login.headers['set-cookie'], 'sid');
      const callback = callbackPath(await h.emulator.approve(login.headers.location as string));
      await browser.get(callback).expect(302);
      await request(h.app).get(callback).set('Cookie', oldCookie).expect(403);
      expect(h.emulator.count('token')).to.equal(1);
    });

    it('leaves the pre-login session cookie anonymous after a replay', async () => {
      const browser = h.browser();
      const login = await browser.get('/login').expect(302);
      const oldCookie = requireCookiePair(login.headers['set-cookie'], 'sid');
      const callback = callbackPath(await h.emulator.approve(login.headers.location as string));
      await browser.get(callback).expect(302);
      await request(h.app).get(callback).set('Cookie', oldCookie).expect(403);
      expect((await request(h.app).get('/me').set('Cookie', oldCookie)).body.user).to.equal(null);
    });

    it('fails with 403 when replayed in another browser that has a sign-in of its own pending', async () => {
      const { browser, loginUrl } = await pendingSignIn();
      const callback = callbackPath(await h.emulator.approve(loginUrl));
      await browser.get(callback).expect(302);
      const other = await pendingSignIn();
      await other.browser.get(callback).expect(403);
      expect((await me(other.browser)).user).to.equal(null);
      expect(h.emulator.count('token')).to.equal(1);
    });

    it('sends the signed-in browser that replays its own callback to / without a second /sso/token', async () => {
      const { browser, loginUrl } = await pendingSignIn();
      const callback = callbackPath(await h.emulator.approve(loginUrl));
      await browser.get(callback).expect(302);
      const res = await browser.get(callback).expect(302);
      expect(res.headers.location).to.equal('/');
      expect((await me(browser)).user?.login).to.equal('ada');
      expect(h.emulator.count('token')).to.equal(1);
    });
  });

  describe('the state has expired', () => {
    it('fails with 403 "expired" once stateTtlMs has passed, without calling /sso/token', async () => {
      await start({ strategy: { stateTtlMs: 1000 } });
      const { browser, loginUrl } = await pendingSignIn();
      const callback = callbackPath(await h.emulator.approve(loginUrl));
      await pause(1100);
      await browser.get(callback).expect(403);
      expect((await me(browser)).messages).to.deep.equal([FailureMessages.expired]);
      expect(h.emulator.count('token')).to.equal(0);
    });

    it('deletes the expired state, so the same callback then finds no pending sign-in', async () => {
      await start({ strategy: { stateTtlMs: 1000 } });
      const { browser, loginUrl } = await pendingSignIn();
      const callback = callbackPath(await h.emulator.approve(loginUrl));
      await pause(1100);
      await browser.get(callback).expect(403);
      await browser.get(callback).expect(403);
      expect((await me(browser)).messages).to.deep.equal([FailureMessages.noPendingSignIn]);
      expect(h.emulator.count('token')).to.equal(0);
    });

    it("expires the state at /sso/authorize's expiration_dts when that comes before stateTtlMs", async () => {
      await start();
      h.emulator.inject('authorize', {
        status: 200,
        body: { login_url: `${h.emulator.origin}/login?request=r`, expiration_dts: new Date(Date.now() + 300).toISOString() },
      });
      const { browser, state } = await pendingSignIn();
      await pause(400);
      await browser.get(callbackWith(`code=c&state=${state}`)).expect(403);
      expect((await me(browser)).messages).to.deep.equal([FailureMessages.expired]);
      expect(h.emulator.count('token')).to.equal(0);
    });
  });

  describe('concurrent callbacks with one state', () => {
    beforeEach(() => start());

    it('signs in exactly one of 100 simultaneous callbacks and fails the others with 403', async () => {
      const { browser, loginUrl } = await pendingSignIn();
      const callback = callbackPath(await h.emulator.approve(loginUrl));
      const results = await Promise.all(Array.from({ length: 100 }, () => browser.get(callback)));
      const statuses = results.map((res) => res.status).sort();
      expect(statuses).to.deep.equal([302, ...Array<number>(99).fill(403)]);
      const winner = results.find((res) => res.status === 302)!;
      expect(winner.headers.location).to.equal('/me');
      // The losers' flash messages may set a newer cookie in this agent, as in a browser: ask with the winner's.
      const signedIn = await request(h.app).get('/me').set('Cookie', requireCookiePair(winner.headers['set-cookie'], 'sid'));
      expect(signedIn.body.user?.login).to.equal('ada');
    });

    it('calls /sso/token and /sso/session/user exactly once for 100 simultaneous callbacks', async () => {
      const { browser, loginUrl } = await pendingSignIn();
      const callback = callbackPath(await h.emulator.approve(loginUrl));
      await Promise.all(Array.from({ length: 100 }, () => browser.get(callback)));
      expect(h.emulator.count('token')).to.equal(1);
      expect(h.emulator.count('user')).to.equal(1);
    });
  });

  describe('two tabs each start a sign-in', () => {
    beforeEach(() => start());

    it('lets the first tab finish although a second tab started after it', async () => {
      const browser = h.browser();
      const first = await beginSignIn(browser);
      await beginSignIn(browser);
      await browser.get(callbackPath(await h.emulator.approve(first, 'grace'))).expect(302);
      expect((await me(browser)).user?.login).to.equal('grace');
      expect(h.emulator.count('token')).to.equal(1);
    });

    it('lets the second tab finish when the first was abandoned', async () => {
      const browser = h.browser();
      await beginSignIn(browser);
      const second = await beginSignIn(browser);
      await browser.get(callbackPath(await h.emulator.approve(second, 'grace'))).expect(302);
      expect((await me(browser)).user?.login).to.equal('grace');
    });

    it('fails the oldest of six tabs with 403 and a clear message, never an error', async () => {
      const browser = h.browser();
      const oldest = await beginSignIn(browser);
      for (let i = 0; i < 5; i++) await beginSignIn(browser);
      await browser.get(callbackPath(await h.emulator.approve(oldest))).expect(403);
      const after = await me(browser);
      expect(after.user).to.equal(null);
      expect(after.messages).to.deep.equal([FailureMessages.stateMismatch]);
      expect(h.emulator.count('token')).to.equal(0);
    });
  });

  describe('a state of the wrong length', () => {
    beforeEach(() => start());

    for (const [what, tamper] of [
      ['one character short', (s: string) => s.slice(0, 42)],
      ['one character long', (s: string) => `${s}A`],
    ] as const) {
      it(`fails with 403, not 500, for a state ${what}`, async () => {
        const { browser, state } = await pendingSignIn();
        await browser.get(callbackWith(`code=c&state=${tamper(state)}`)).expect(403);
        expect((await me(browser)).messages).to.deep.equal([FailureMessages.stateMismatch]);
        expect(h.emulator.count('token')).to.equal(0);
      });
    }
  });

  describe('a wrong guess', () => {
    beforeEach(() => start());

    it('a wrong state uses up the real one', async () => {
      const { browser, state, loginUrl } = await pendingSignIn();
      const genuine = callbackPath(await h.emulator.approve(loginUrl));
      await browser.get(callbackWith(`code=c&state=${otherState(state)}`)).expect(403);
      await browser.get(genuine).expect(403);
      const after = await me(browser);
      expect(after.user).to.equal(null);
      expect(after.messages).to.deep.equal([FailureMessages.noPendingSignIn]);
      expect(h.emulator.count('token')).to.equal(0);
    });
  });

  describe('UltraCart reports an error', () => {
    beforeEach(() => start());

    it('fails with 401 "cancelled" when the user denied the login', async () => {
      const { browser, loginUrl } = await pendingSignIn();
      const res = await browser.get(callbackPath(await h.emulator.deny(loginUrl))).expect(401);
      expect(res.headers.location).to.equal(undefined);
      expect((await me(browser)).messages).to.deep.equal([FailureMessages.denied]);
      expect(h.emulator.count('token')).to.equal(0);
    });

    it('never repeats error_description, so injected markup goes nowhere', async () => {
      const { browser, loginUrl } = await pendingSignIn();
      const denied = callbackPath(await h.emulator.deny(loginUrl));
      const res = await browser.get(`${denied}&error_description=${encodeURIComponent('<script>alert(1)</script>')}`).expect(401);
      expect(res.text).to.not.include('<script>');
      expect((await me(browser)).messages.join(' ')).to.not.include('<script>');
    });

    it('checks the state first, so an error with a wrong state fails with 403', async () => {
      const { browser, state } = await pendingSignIn();
      await browser.get(callbackWith(`error=access_denied&state=${otherState(state)}`)).expect(403);
      expect((await me(browser)).messages).to.deep.equal([FailureMessages.stateMismatch]);
    });

    it('checks the state first, so an error with no state fails with 403', async () => {
      const { browser } = await pendingSignIn();
      await browser.get(callbackWith('error=access_denied')).expect(403);
      expect((await me(browser)).user).to.equal(null);
    });

    it('fails with 401 and a generic message for an error other than access_denied', async () => {
      const { browser, state } = await pendingSignIn();
      await browser.get(callbackWith(`error=server_error&state=${state}`)).expect(401);
      expect((await me(browser)).messages).to.deep.equal([FailureMessages.upstreamRefused]);
      expect(h.emulator.count('token')).to.equal(0);
    });

    it('treats error and code together as an error, never exchanging the code', async () => {
      const { browser, loginUrl } = await pendingSignIn();
      const approved = callbackPath(await h.emulator.approve(loginUrl));
      await browser.get(`${approved}&error=access_denied`).expect(401);
      expect((await me(browser)).user).to.equal(null);
      expect(h.emulator.count('token')).to.equal(0);
    });
  });

  describe('a callback with neither code nor error', () => {
    beforeEach(() => start());

    it('fails with 400 and does not start a new authorize', async () => {
      const { browser, state } = await pendingSignIn();
      const res = await browser.get(callbackWith(`state=${state}`)).expect(400);
      expect(res.headers.location).to.equal(undefined);
      expect((await me(browser)).messages).to.deep.equal([FailureMessages.missingCode]);
      expect(h.emulator.count('authorize')).to.equal(1);
      expect(h.emulator.count('token')).to.equal(0);
    });
  });

  describe('after a refused callback', () => {
    beforeEach(() => start());

    it('lets the same browser start again and sign in', async () => {
      const { browser, state } = await pendingSignIn();
      await browser.get(callbackWith(`code=c&state=${otherState(state)}`)).expect(403);
      await browser.get(callbackPath(await h.emulator.approve(await beginSignIn(browser)))).expect(302);
      expect((await me(browser)).user?.login).to.equal('ada');
    });
  });
});
