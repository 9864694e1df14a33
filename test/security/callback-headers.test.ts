import { expect } from 'chai';
import { beginSignIn, pathOf, startExample, type Example } from '../example-app/support.js';

/** Case 47 in the example app: URLs holding a code or state never reach a cache or a Referer header. */
describe('referrer and cache headers in the example app', () => {
  let ex: Example;
  beforeEach(async () => {
    ex = await startExample();
  });
  afterEach(() => ex.close());

  it('sends the browser to UltraCart with a 302 marked no-store and no-referrer', async () => {
    const res = await ex.browser().get('/auth/ultracart').expect(302);
    expect(res.headers['cache-control']).to.equal('no-store');
    expect(res.headers['referrer-policy']).to.equal('no-referrer');
  });

  it('answers a successful callback with a 302 marked no-store and no-referrer', async () => {
    const browser = ex.browser();
    const res = await browser.get(pathOf(await ex.ultracart.approve(await beginSignIn(browser)))).expect(302);
    expect(res.headers.location).to.equal('/profile');
    expect(res.headers['cache-control']).to.equal('no-store');
    expect(res.headers['referrer-policy']).to.equal('no-referrer');
  });

  it('answers a refused callback with a 302 to the failure page, marked no-store and no-referrer', async () => {
    const browser = ex.browser();
    const res = await browser.get(pathOf(await ex.ultracart.deny(await beginSignIn(browser)))).expect(302);
    expect(res.headers.location).to.equal('/auth/failed?reason=denied');
    expect(res.headers['cache-control']).to.equal('no-store');
    expect(res.headers['referrer-policy']).to.equal('no-referrer');
  });

  it('answers a callback that fails upstream with a page marked no-store and no-referrer', async () => {
    const browser = ex.browser();
    const callback = pathOf(await ex.ultracart.approve(await beginSignIn(browser)));
    ex.ultracart.inject('token', { status: 502 });
    const res = await browser.get(callback).expect(502);
    expect(res.headers['cache-control']).to.equal('no-store');
    expect(res.headers['referrer-policy']).to.equal('no-referrer');
  });

  it('loads no third-party resource and no script on the failure page, and forbids framing it', async () => {
    const browser = ex.browser();
    const res = await browser.get(pathOf(await ex.ultracart.deny(await beginSignIn(browser))));
    const page = await browser.get(res.headers.location as string).expect(401);
    expect(page.text).to.include('Sign-in was cancelled');
    expect(page.text).to.not.match(/(src|href|action)="(https?:)?\/\//);
    expect(page.text).to.not.include('<script');
    expect(page.headers['content-security-policy']).to.include("frame-ancestors 'none'");
    expect(page.headers['content-security-policy']).to.include("default-src 'none'");
  });

  it('answers the UltrapassId return with a 303 marked no-store and no-referrer', async () => {
    const browser = ex.browser();
    await browser.get(pathOf(await ex.ultracart.approve(await beginSignIn(browser))));
    const profile = await browser.get('/profile').expect(200);
    const token = /name="_csrf" value="([^"]+)"/.exec(profile.text)![1]!;
    const started = await browser.post('/verify').type('form').send({ _csrf: token }).expect(303);
    expect(started.headers['cache-control']).to.equal('no-store');
    const back = await browser.get(pathOf(await ex.uauth.complete(started.headers.location as string))).expect(303);
    expect(back.headers['referrer-policy']).to.equal('no-referrer');
    expect(back.headers['cache-control']).to.equal('no-store');
  });
});
