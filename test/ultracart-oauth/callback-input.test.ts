import { expect } from 'chai';
import { randomBytes } from 'node:crypto';
import { beginConnect, OAUTH_CALLBACK_PATH, pathOf, startOAuthHarness, type OAuthHarness } from '../support/ultracart-oauth-harness.js';

const forgedState = (): string => randomBytes(32).toString('base64url');

function withParam(url: string, name: string, value: string): string {
  const parsed = new URL(url);
  parsed.searchParams.set(name, value);
  return pathOf(parsed.href);
}

describe('UltraCartOAuthStrategy: what the callback brings', () => {
  let h: OAuthHarness;
  afterEach(async () => h?.close());

  describe('UltraCart says no', () => {
    it('fails with denied (401) when the merchant declines, without a token call', async () => {
      h = await startOAuthHarness();
      const browser = h.browser();
      const callback = await h.emulator.oauth.deny(await beginConnect(browser));
      expect(new URL(callback).searchParams.get('error')).to.equal('access_denied');
      const res = await browser.get(pathOf(callback)).expect(401);
      expect(res.body.reason).to.equal('denied');
      expect(res.body.message).to.match(/declined at UltraCart/);
      expect(h.emulator.oauth.count('token')).to.equal(0);
    });

    it('fails with expired (401) when the approval link had expired (invalid_request)', async () => {
      h = await startOAuthHarness();
      const browser = h.browser();
      const url = await beginConnect(browser);
      h.emulator.oauth.expireApprovals();
      const callback = await h.emulator.oauth.approve(url);
      expect(new URL(callback).searchParams.get('error')).to.equal('invalid_request');
      const res = await browser.get(pathOf(callback)).expect(401);
      expect(res.body.reason).to.equal('expired');
      expect(h.emulator.oauth.count('token')).to.equal(0);
    });

    it('treats an error beside a code as an error: the code is not traded', async () => {
      h = await startOAuthHarness();
      const browser = h.browser();
      const callback = await h.emulator.oauth.approve(await beginConnect(browser));
      const res = await browser.get(withParam(callback, 'error', 'server_error')).expect(401);
      expect(res.body.reason).to.equal('upstreamRefused');
      expect(h.emulator.oauth.count('token')).to.equal(0);
    });

    it('checks the state before it reads error: a forged error with a wrong state is a state failure, and uses up the real one', async () => {
      h = await startOAuthHarness();
      const browser = h.browser();
      const url = await beginConnect(browser);
      const forged = await browser.get(`${OAUTH_CALLBACK_PATH}?error=access_denied&state=${forgedState()}`).expect(403);
      expect(forged.body.reason).to.equal('stateMismatch');
      const res = await browser.get(pathOf(await h.emulator.oauth.approve(url))).expect(403);
      expect(res.body.reason).to.not.equal(null);
      expect(h.emulator.oauth.count('token')).to.equal(0);
    });
  });

  describe('state', () => {
    it('a wrong state first uses up the real one: the real callback then fails, and no token call is made', async () => {
      h = await startOAuthHarness();
      const browser = h.browser();
      const callback = await h.emulator.oauth.approve(await beginConnect(browser));
      expect((await browser.get(withParam(callback, 'state', forgedState())).expect(403)).body.reason).to.equal('stateMismatch');
      expect((await browser.get(pathOf(callback)).expect(403)).body.reason).to.equal('noPendingSignIn');
      expect(h.emulator.oauth.count('token')).to.equal(0);
    });

    it('refuses a missing, empty, repeated or oversized state without a token call', async () => {
      h = await startOAuthHarness();
      const browser = h.browser();
      const callback = await h.emulator.oauth.approve(await beginConnect(browser));
      const code = new URL(callback).searchParams.get('code')!;
      await browser.get(`${OAUTH_CALLBACK_PATH}?code=${code}`).expect(403);
      await beginConnect(browser);
      await browser.get(`${OAUTH_CALLBACK_PATH}?code=${code}&state=`).expect(403);
      await beginConnect(browser);
      const repeated = await browser.get(`${pathOf(callback)}&state=${forgedState()}`).expect(400);
      expect(repeated.body.reason).to.equal('stateMalformed');
      await beginConnect(browser);
      expect((await browser.get(`${OAUTH_CALLBACK_PATH}?code=${code}&state=${'a'.repeat(600)}`).expect(400)).body.reason).to.equal(
        'stateMalformed',
      );
      expect(h.emulator.oauth.count('token')).to.equal(0);
    });

    it("refuses another browser's state (login CSRF) with no token call, and leaves the victim unchanged", async () => {
      h = await startOAuthHarness();
      const attacker = h.browser();
      const callback = await h.emulator.oauth.approve(await beginConnect(attacker));
      const victim = h.browser();
      await victim.get('/sign-in').expect(200);
      const res = await victim.get(pathOf(callback)).expect(403);
      expect(res.body.reason).to.equal('noPendingSignIn');
      expect(h.emulator.oauth.count('token')).to.equal(0);
      expect((await victim.get('/account').expect(200)).body.user).to.deep.equal({ id: 'user-1' });
    });

    it('refuses a callback after the state expired', async () => {
      h = await startOAuthHarness({ strategy: { stateTtlMs: 1000 } });
      const browser = h.browser();
      const callback = await h.emulator.oauth.approve(await beginConnect(browser));
      const realNow = Date.now;
      Date.now = () => realNow() + 2000;
      try {
        expect((await browser.get(pathOf(callback)).expect(403)).body.reason).to.equal('expired');
      } finally {
        Date.now = realNow;
      }
      expect(h.emulator.oauth.count('token')).to.equal(0);
    });
  });

  describe('replays', () => {
    it('20 concurrent replays of one callback make exactly one token call and one connection', async () => {
      h = await startOAuthHarness();
      const browser = h.browser();
      const callback = await h.emulator.oauth.approve(await beginConnect(browser));
      const results = await Promise.all(Array.from({ length: 20 }, () => browser.get(pathOf(callback))));
      expect(results.filter((r) => r.status === 200)).to.have.length(1);
      expect(results.filter((r) => r.status === 403)).to.have.length(19);
      expect(results.every((r) => r.status === 200 || r.status === 403)).to.equal(true);
      expect(h.emulator.oauth.count('token')).to.equal(1);
    });

    it('a callback replayed after success is refused with no second token call', async () => {
      h = await startOAuthHarness();
      const browser = h.browser();
      const callback = await h.emulator.oauth.approve(await beginConnect(browser));
      await browser.get(pathOf(callback)).expect(200);
      await browser.get(pathOf(callback)).expect(403);
      await h.browser().get(pathOf(callback)).expect(403);
      expect(h.emulator.oauth.count('token')).to.equal(1);
    });
  });

  describe('the used-state ledger', () => {
    it('fails closed with a 503 and no token call when the ledger cannot answer', async () => {
      h = await startOAuthHarness({
        strategy: {
          usedStates: {
            claim: async () => {
              throw new Error('ledger down');
            },
          },
        },
      });
      const browser = h.browser();
      const res = await browser.get(pathOf(await h.emulator.oauth.approve(await beginConnect(browser)))).expect(503);
      expect(res.body.code).to.equal('USED_STATES_UNAVAILABLE');
      expect(res.headers['retry-after']).to.equal('1');
      expect(h.emulator.oauth.count('token')).to.equal(0);
    });

    it('asks a ledger subclass, so a replay it refuses is refused', async () => {
      const asked: string[] = [];
      h = await startOAuthHarness({ strategy: { usedStates: { claim: async (state: string) => (asked.push(state), false) } } });
      const browser = h.browser();
      expect((await browser.get(pathOf(await h.emulator.oauth.approve(await beginConnect(browser)))).expect(403)).body.reason).to.equal(
        'alreadyUsed',
      );
      expect(asked).to.have.length(1);
      expect(h.emulator.oauth.count('token')).to.equal(0);
    });
  });

  describe('the code', () => {
    it('refuses a missing, empty, repeated or oversized code', async () => {
      h = await startOAuthHarness();
      const browser = h.browser();
      const cases: Array<[query: (state: string) => string, status: number, reason: string]> = [
        [(s) => `state=${s}`, 400, 'missingCode'],
        [(s) => `state=${s}&code=`, 400, 'missingCode'],
        [(s) => `state=${s}&code=a&code=b`, 400, 'malformedCode'],
        [(s) => `state=${s}&code=${'c'.repeat(600)}`, 400, 'malformedCode'],
      ];
      for (const [query, status, reason] of cases) {
        const state = new URL(await beginConnect(browser)).searchParams.get('state')!;
        expect((await browser.get(`${OAUTH_CALLBACK_PATH}?${query(state)}`).expect(status)).body.reason).to.equal(reason);
      }
      expect(h.emulator.oauth.count('token')).to.equal(0);
    });
  });
});
