import { expect } from 'chai';
import { APP_ORIGIN, startExample, type Example } from './support.js';

describe('example app in demo mode: the host of the callback URL', () => {
  let ex: Example;
  beforeEach(async () => {
    ex = await startExample();
  });
  afterEach(() => ex.close());

  it('sends a visit to localhost to 127.0.0.1, the callback URL’s host, keeping path and query', async () => {
    const res = await ex.browser().get('/auth/ultracart?returnTo=%2Fprofile').set('Host', 'localhost:3999').expect(307);
    expect(res.headers.location).to.equal(`${APP_ORIGIN}/auth/ultracart?returnTo=%2Fprofile`);
    expect(ex.ultracart.count('authorize')).to.equal(0);
  });

  it('serves 127.0.0.1 itself, and never redirects to a host taken from the request', async () => {
    await ex.browser().get('/').set('Host', '127.0.0.1:3999').expect(200);
    const other = await ex.browser().get('/').set('Host', 'evil.example');
    expect(other.status).to.not.equal(307);
  });

  it('does not redirect outside demo mode', async () => {
    const real = await startExample({ settings: { emulated: false } });
    try {
      const res = await real.browser().get('/').set('Host', 'localhost:3999');
      expect(res.status).to.equal(200);
    } finally {
      await real.close();
    }
  });
});
