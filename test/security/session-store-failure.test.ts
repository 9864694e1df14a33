import { expect } from 'chai';
import session from 'express-session';
import { beginSignIn, pathOf, startExample, whoIsSignedIn, type Example } from '../example-app/support.js';

type Callback = (err?: unknown) => void;

/**
 * A store whose backend blips, then works again, as Redis does during a fail-over: the next saves
 * of a signed-in session go as `savePlan` says, and the next `destroyFailures` destroys fail.
 */
class BlippingStore extends session.MemoryStore {
  savePlan: Array<'ok' | 'fail'> = [];
  destroyFailures = 0;

  override set(sid: string, data: session.SessionData, callback?: Callback): void {
    if ((data as { passport?: unknown }).passport && this.savePlan.shift() === 'fail') {
      callback?.(new Error('session store unavailable'));
      return;
    }
    super.set(sid, data, callback);
  }

  override destroy(sid: string, callback?: Callback): void {
    if (this.destroyFailures > 0) {
      this.destroyFailures -= 1;
      callback?.(new Error('session store unavailable'));
      return;
    }
    super.destroy(sid, callback);
  }

  /** Every stored session, serialised, to search for what must not be kept. */
  dump(): Promise<string> {
    return new Promise((resolve, reject) => this.all((err, all) => (err ? reject(err) : resolve(JSON.stringify(all ?? {})))));
  }
}

/** The user simple key UltraCart issued, read from the upstream call that used it. */
function issuedKey(ex: Example): string {
  return ex.ultracart.calls.find((c) => c.endpoint === 'user')!.headers['x-ultracart-simple-key'] as string;
}

/*
 * Case 18 in the example app. passport saves the signed-in session itself; when that save fails it
 * hands the error on, but express-session saves the same session again when the error page ends
 * (the session id changed, so it counts as unsaved) and sets its cookie. A store that fails only
 * once would then sign the user in behind the error page.
 */
describe('the example app, when the session store fails once during sign-in', () => {
  let ex: Example;
  let store: BlippingStore;
  beforeEach(async () => {
    store = new BlippingStore();
    ex = await startExample({ deps: { sessionStore: store } });
  });
  afterEach(() => ex.close());

  it('answers 500 with a page, not a redirect, when the first save of the signed-in session fails', async () => {
    const browser = ex.browser();
    const callback = pathOf(await ex.ultracart.approve(await beginSignIn(browser)));
    store.savePlan = ['fail'];
    const res = await browser.get(callback).expect(500);
    expect(res.headers.location).to.equal(undefined);
    expect(res.text).to.include('data-problem="internal"');
  });

  it('leaves nobody signed in when only the first save of the signed-in session fails', async () => {
    const browser = ex.browser();
    const callback = pathOf(await ex.ultracart.approve(await beginSignIn(browser)));
    store.savePlan = ['fail'];
    await browser.get(callback).expect(500);
    expect(await whoIsSignedIn(browser)).to.equal(null);
  });

  it('keeps no simple key in the store when only the first save of the signed-in session fails', async () => {
    const browser = ex.browser();
    const callback = pathOf(await ex.ultracart.approve(await beginSignIn(browser)));
    store.savePlan = ['fail'];
    await browser.get(callback).expect(500);
    expect(await store.dump()).to.not.include(issuedKey(ex));
  });

  it('leaves nobody signed in when passport’s save works but the app’s own save after it fails', async () => {
    const browser = ex.browser();
    const callback = pathOf(await ex.ultracart.approve(await beginSignIn(browser)));
    store.savePlan = ['ok', 'fail'];
    await browser.get(callback).expect(500);
    expect(await whoIsSignedIn(browser)).to.equal(null);
    expect(await store.dump()).to.not.include(issuedKey(ex));
  });

  it('leaves nobody signed in when regenerating the session fails once', async () => {
    const browser = ex.browser();
    const callback = pathOf(await ex.ultracart.approve(await beginSignIn(browser)));
    store.destroyFailures = 1;
    await browser.get(callback).expect(500);
    expect(await whoIsSignedIn(browser)).to.equal(null);
    expect(await store.dump()).to.not.include(issuedKey(ex));
  });

  for (const [what, fault] of [
    ['the first save of the signed-in session fails', (s: BlippingStore) => (s.savePlan = ['fail'])],
    ['passport’s save works but the app’s own save after it fails', (s: BlippingStore) => (s.savePlan = ['ok', 'fail'])],
    ['regenerating the session fails once', (s: BlippingStore) => (s.destroyFailures = 1)],
  ] as const) {
    it(`leaves no simple key live at UltraCart when ${what}`, async () => {
      const browser = ex.browser();
      const callback = pathOf(await ex.ultracart.approve(await beginSignIn(browser)));
      fault(store);
      await browser.get(callback).expect(500);
      expect(ex.ultracart.isLive(issuedKey(ex))).to.equal(false);
      expect(ex.ultracart.liveKeys()).to.equal(0);
    });
  }

  it('keeps a user who was already signed in signed in when a second sign-in fails upstream', async () => {
    const browser = ex.browser();
    const first = pathOf(await ex.ultracart.approve(await beginSignIn(browser), 'grace'));
    await browser.get(first).expect(302);
    const second = pathOf(await ex.ultracart.approve(await beginSignIn(browser)));
    ex.ultracart.inject('token', { status: 503 });
    await browser.get(second).expect(503);
    expect(await whoIsSignedIn(browser)).to.equal('grace');
  });

  it('signs in normally on the next attempt, once the store has recovered', async () => {
    const browser = ex.browser();
    const failed = pathOf(await ex.ultracart.approve(await beginSignIn(browser)));
    store.savePlan = ['fail'];
    await browser.get(failed).expect(500);
    const retried = pathOf(await ex.ultracart.approve(await beginSignIn(browser)));
    expect((await browser.get(retried).expect(302)).headers.location).to.equal('/profile');
    expect(await whoIsSignedIn(browser)).to.equal('ada');
  });
});
