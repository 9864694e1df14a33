import { expect } from 'chai';
import request from 'supertest';
import { startHarness, type Harness } from '../support/harness.js';

/** Case 44: an app that forgot express-session gets a clear 500, not a TypeError from deep inside. */
describe('UltraCartStrategy in an app without express-session', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await startHarness({ noSession: true });
  });
  afterEach(() => h.close());

  it('answers the sign-in route with 500 SessionRequiredError, not a TypeError', async () => {
    const res = await request(h.app).get('/login').expect(500);
    expect(res.body).to.include({ error: 'SessionRequiredError', code: 'SESSION_REQUIRED' });
    expect(res.body.message).to.include('requires session support');
  });

  it('spends no call to /sso/authorize on the sign-in route', async () => {
    await request(h.app).get('/login').expect(500);
    expect(h.emulator.count('authorize')).to.equal(0);
  });

  it('sends the browser nowhere from the sign-in route', async () => {
    const res = await request(h.app).get('/login').expect(500);
    expect(res.headers.location).to.equal(undefined);
  });

  it('answers the callback with 500 SessionRequiredError and exchanges no code', async () => {
    const res = await request(h.app).get('/auth/ultracart/callback?code=abc&state=def').expect(500);
    expect(res.body).to.include({ error: 'SessionRequiredError', code: 'SESSION_REQUIRED' });
    expect(h.emulator.count('token')).to.equal(0);
  });

  it('signs nobody in', async () => {
    await request(h.app).get('/auth/ultracart/callback?code=abc&state=def');
    expect((await request(h.app).get('/me').expect(200)).body.user).to.equal(null);
  });
});
