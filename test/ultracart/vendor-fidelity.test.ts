import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { format } from 'node:util';
import { brotliCompressSync, deflateSync, gzipSync } from 'node:zlib';
import { expect } from 'chai';
import packageJson from '../../package.json' with { type: 'json' };
import { UAuthClient, UltraCartApiError, UltraCartClient, type UltraCartToken, type VerifyFunction } from '../../src/index.js';
import { log } from '../../src/log.js';
import { readExpiry } from '../../src/ultracart/date-time.js';
import {
  DEFAULT_EMULATOR_USERS,
  DEFAULT_UAUTH_WORKFLOW_KEY,
  startUAuthEmulator,
  startUltraCartEmulator,
  type UltraCartEmulator,
} from '../../src/testing/index.js';
import { beginSignIn, callbackPath, me, startHarness, type Harness } from '../support/harness.js';
import { heavyUltraCartUser } from '../support/heavy-user.js';

const REDIRECT_URI = 'https://shop.example.com/auth/ultracart/callback';
const STATE = 'S'.repeat(43);

async function rejectionOf(promise: Promise<unknown>): Promise<UltraCartApiError> {
  const outcome = await promise.then(
    () => undefined,
    (err: unknown) => err,
  );
  if (!(outcome instanceof UltraCartApiError)) throw new Error(`expected an UltraCartApiError, got ${String(outcome)}`);
  return outcome;
}

/** A loopback server answering every request with `answer`, for bodies the emulator does not send. */
async function withServer(answer: (req: IncomingMessage, res: ServerResponse) => void, run: (baseURL: string) => Promise<void>) {
  const server = createServer(answer);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    await run(`http://127.0.0.1:${(server.address() as AddressInfo).port}/rest/v2`);
  } finally {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
}

/** Lines written to `logger` while `run` runs. */
async function logged(logger: typeof log.strategy, run: () => Promise<void>): Promise<string> {
  const lines: string[] = [];
  const { enabled, log: write } = logger;
  logger.enabled = true;
  logger.log = (...args: unknown[]) => lines.push(format(...args));
  try {
    await run();
  } finally {
    logger.enabled = enabled;
    logger.log = write;
  }
  return lines.join('\n');
}

describe('UltraCartClient against the vendor', () => {
  let emulator: UltraCartEmulator;
  let client: UltraCartClient;
  beforeEach(async () => {
    emulator = await startUltraCartEmulator({ users: [...DEFAULT_EMULATOR_USERS, heavyUltraCartUser()] });
    client = new UltraCartClient({ simpleKey: emulator.appKey, baseURL: emulator.url });
  });
  afterEach(() => emulator.close());

  async function keyFor(login = 'ada'): Promise<string> {
    const { loginUrl } = await client.authorize(REDIRECT_URI, STATE);
    const code = new URL(await emulator.approve(loginUrl, login)).searchParams.get('code')!;
    return (await client.token(code)).simpleKey;
  }

  describe('on every call', () => {
    it(`sends User-Agent passport-ultracart/${packageJson.version} and asks for no compression, on all four endpoints`, async () => {
      const key = await keyFor();
      await client.sessionUser(key);
      await client.revokeSession(key);
      const sent = emulator.calls.filter((c) => c.endpoint !== 'login');
      expect(sent.map((c) => c.endpoint)).to.deep.equal(['authorize', 'token', 'user', 'revoke']);
      for (const call of sent) {
        expect(call.headers['user-agent'], call.endpoint).to.equal(`passport-ultracart/${packageJson.version}`);
        expect(call.headers['accept-encoding'], call.endpoint).to.equal('identity');
      }
    });
  });

  describe('a heavy user', () => {
    it('is read whole with the default bounds: 90 days of login history, permissions and notifications', async () => {
      const heavy = heavyUltraCartUser();
      expect(JSON.stringify(heavy).length).to.be.above(150 * 1024);
      const user = await client.sessionUser(await keyFor('margaret'));
      expect(user.user_id).to.equal(heavy.user_id);
      expect(user.login_histories).to.have.length(heavy.login_histories!.length);
      expect(user.permissions).to.have.length(heavy.permissions!.length);
      expect(user.notifications).to.have.length(heavy.notifications!.length);
    });

    it('is refused past a smaller bound for /sso/session/user, with the bound named', async () => {
      const small = new UltraCartClient({ simpleKey: emulator.appKey, baseURL: emulator.url, maxResponseBytes: { user: 64 * 1024 } });
      const key = await keyFor('margaret');
      const err = await rejectionOf(small.sessionUser(key));
      expect(err).to.include({ code: 'ULTRACART_BAD_RESPONSE', status: 502 });
      expect(err.message).to.match(/65536-byte cap/);
    });

    it('is refused past 2 MiB by default', async () => {
      const huge = heavyUltraCartUser({ login: 'huge', userId: 2002, loginsPerDay: 100, permissions: 6000 });
      expect(JSON.stringify(huge).length).to.be.above(2 * 1024 * 1024);
      await emulator.close();
      emulator = await startUltraCartEmulator({ users: [huge] });
      client = new UltraCartClient({ simpleKey: emulator.appKey, baseURL: emulator.url });
      const err = await rejectionOf(client.sessionUser(await keyFor('huge')));
      expect(err.message).to.match(/2097152-byte cap/);
    });
  });

  describe('the small endpoints', () => {
    for (const endpoint of ['authorize', 'token'] as const) {
      it(`refuse a 40 KiB ${endpoint} answer: their bound stays at 32 KiB`, async () => {
        emulator.inject(endpoint, { status: 200, body: { login_url: 'x', simple_key: 'k', padding: 'p'.repeat(40 * 1024) } });
        const call = endpoint === 'authorize' ? client.authorize(REDIRECT_URI, STATE) : client.token('code-0123456789');
        const err = await rejectionOf(call);
        expect(err.message).to.match(/32768-byte cap/);
      });
    }

    it('refuse an options object naming an endpoint that does not exist', () => {
      expect(() => new UltraCartClient({ simpleKey: 'k', maxResponseBytes: { users: 1000 } as never })).to.throw(
        TypeError,
        /maxResponseBytes option must not name "users", which is not an endpoint/,
      );
    });
  });

  describe('a compressed answer, sent although identity was asked for', () => {
    const body = JSON.stringify({ simple_key: 'compressed-key-0001', expiration_dts: '2030-05-18T12:10:19-04:00', ip_address: '::1' });
    for (const [encoding, encode] of [
      ['gzip', gzipSync],
      ['deflate', deflateSync],
      ['br', brotliCompressSync],
    ] as const) {
      it(`is decoded when it is ${encoding}`, async () => {
        await withServer(
          (_req, res) => res.writeHead(200, { 'content-type': 'application/json', 'content-encoding': encoding }).end(encode(body)),
          async (baseURL) => {
            const token = await new UltraCartClient({ simpleKey: 'app', baseURL }).token('code-0123456789');
            expect(token.simpleKey).to.equal('compressed-key-0001');
          },
        );
      });
    }

    it('is refused when it inflates past the bound, though it arrives small (a zip bomb)', async () => {
      const bomb = gzipSync(Buffer.alloc(8 * 1024 * 1024, 0x20));
      expect(bomb.length).to.be.below(32 * 1024);
      await withServer(
        (_req, res) => res.writeHead(200, { 'content-type': 'application/json', 'content-encoding': 'gzip' }).end(bomb),
        async (baseURL) => {
          const err = await rejectionOf(new UltraCartClient({ simpleKey: 'app', baseURL }).token('code-0123456789'));
          expect(err).to.include({ code: 'ULTRACART_BAD_RESPONSE', status: 502 });
          expect(err.message).to.match(/cap once decoded/);
        },
      );
    });

    it('is refused, unread, in an encoding the client does not know', async () => {
      await withServer(
        (_req, res) => res.writeHead(200, { 'content-type': 'application/json', 'content-encoding': 'zstd' }).end('garbage'),
        async (baseURL) => {
          const err = await rejectionOf(new UltraCartClient({ simpleKey: 'app', baseURL }).token('code-0123456789'));
          expect(err).to.include({ code: 'ULTRACART_BAD_RESPONSE', status: 502 });
          expect(err.message).to.match(/content encoding/);
        },
      );
    });

    it('is refused when gzip is announced but the bytes are not gzip', async () => {
      await withServer(
        (_req, res) => res.writeHead(200, { 'content-type': 'application/json', 'content-encoding': 'gzip' }).end(body),
        async (baseURL) => {
          const err = await rejectionOf(new UltraCartClient({ simpleKey: 'app', baseURL }).token('code-0123456789'));
          expect(err.code).to.equal('ULTRACART_BAD_RESPONSE');
        },
      );
    });
  });
});

describe('UltraCartStrategy and a heavy user', () => {
  let h: Harness;
  afterEach(() => h.close());

  it('signs the heavy user in with the default options', async () => {
    h = await startHarness({ emulator: { users: [...DEFAULT_EMULATOR_USERS, heavyUltraCartUser()] } });
    const browser = h.browser();
    const callback = callbackPath(await h.emulator.approve(await beginSignIn(browser), 'margaret'));
    await browser.get(callback).expect(302);
    expect((await me(browser)).user?.login).to.equal('margaret');
  });
});

describe('expiration_dts in the forms the SDKs pass on', () => {
  const instant = Date.UTC(2021, 4, 18, 16, 10, 19);
  for (const [value, expected] of [
    ['2021-05-18T16:10:19Z', instant],
    ['2021-05-18T16:10:19.000Z', instant],
    ['2021-05-18T12:10:19-04:00', instant],
    ['2021-05-18T12:10:19-0400', instant],
    ['2021-05-18T12:10:19-04', instant],
    ['2021-05-18T21:40:19+05:30', instant],
    ['2021-05-18T16:10:19.1234567Z', instant + 123],
    ['2021-05-18T12:10:19.5-04:00', instant + 500],
    ['2021-05-18 16:10:19Z', instant],
    ['2021-05-18T16:10Z', instant - 19_000],
  ] as const) {
    it(`reads ${value}`, () => {
      const reading = readExpiry(value);
      expect(reading.kind).to.equal('known');
      expect(reading.kind === 'known' && reading.at.getTime()).to.equal(expected);
    });
  }

  for (const value of ['2021-05-18T12:10:19', '2021-05-18', 'next tuesday', '2021-02-30T12:00:00Z', '2021-05-18T25:10:19Z', '1621354219']) {
    it(`calls ${value} unreadable rather than guessing`, () => {
      expect(readExpiry(value).kind).to.equal('unreadable');
    });
  }

  it('calls a missing or empty value absent', () => {
    expect(readExpiry(undefined).kind).to.equal('absent');
    expect(readExpiry('').kind).to.equal('absent');
  });
});

describe('UltraCartStrategy with an expiry it cannot read', () => {
  let h: Harness;
  afterEach(() => h.close());

  async function signInWith(expiryFormat: (at: Date) => string, strategy = {}) {
    const tokens: UltraCartToken[] = [];
    const verify: VerifyFunction = (simpleKey, token, profile, done) => {
      tokens.push(token);
      done(null, { id: profile.id, login: profile.username, simpleKey });
    };
    h = await startHarness({ verify, emulator: { expiryFormat }, strategy });
    const browser = h.browser();
    const callback = callbackPath(await h.emulator.approve(await beginSignIn(browser)));
    const before = Date.now();
    let status = 0;
    const lines = await logged(log.strategy, async () => {
      status = (await browser.get(callback)).status;
    });
    return { browser, tokens, status, lines, before };
  }

  for (const [what, write] of [
    ['that is not a date', () => 'soon'],
    ['that has no time zone', (at: Date) => at.toISOString().slice(0, 19)],
  ] as const) {
    it(`signs in with an expiry ${what}, capped at one hour by default, and says so in a debug line without the key`, async () => {
      const { browser, tokens, status, lines, before } = await signInWith(write);
      expect(status).to.equal(302);
      const user = (await me(browser)).user!;
      expect(user).to.not.equal(null);
      const expiresAt = tokens[0]!.expiresAt!.getTime();
      expect(expiresAt).to.be.within(before + 3_600_000 - 1000, Date.now() + 3_600_000);
      expect(lines).to.match(/expiration_dts is unreadable or has no zone: the sign-in is capped at 3600000 ms/);
      expect(lines).to.not.include(user.simpleKey);
      expect(h.emulator.count('revoke')).to.equal(0);
    });
  }

  it('caps the sign-in at unknownExpiryMaxAgeMs when that is set', async () => {
    const { tokens, before } = await signInWith(() => 'soon', { unknownExpiryMaxAgeMs: 5 * 60_000 });
    expect(tokens[0]!.expiresAt!.getTime()).to.be.within(before + 5 * 60_000 - 1000, Date.now() + 5 * 60_000);
  });

  it('refuses an unknownExpiryMaxAgeMs under a second, naming it', async () => {
    h = await startHarness();
    const { UltraCartStrategy } = await import('../../src/index.js');
    expect(
      () => new UltraCartStrategy({ callbackURL: h.callbackURL, simpleKey: 'k', unknownExpiryMaxAgeMs: 10 }, () => undefined),
    ).to.throw(TypeError, /unknownExpiryMaxAgeMs/);
  });

  it("uses UltraCart's own local-offset expiry as sent, by default", async () => {
    const { tokens, status } = await signInWith((at) => `${new Date(at.getTime() - 4 * 3_600_000).toISOString().slice(0, 19)}-04:00`);
    expect(status).to.equal(302);
    expect(tokens[0]!.expiresAt!.getTime() % 1000).to.equal(0);
    expect(tokens[0]!.expiresAt!.getTime()).to.be.within(Date.now() + 3_600_000 - 5000, Date.now() + 3_600_000);
  });
});

describe('UAuthClient against the vendor', () => {
  it(`sends User-Agent passport-ultracart/${packageJson.version} on both calls`, async () => {
    const emulator = await startUAuthEmulator();
    try {
      const client = new UAuthClient({ organizationKey: emulator.organizationKey, baseURL: emulator.url });
      const { sessionId } = await client.createSession(DEFAULT_UAUTH_WORKFLOW_KEY);
      await client.getSession(sessionId!);
      for (const call of emulator.calls) expect(call.headers['user-agent']).to.equal(`passport-ultracart/${packageJson.version}`);
      expect(emulator.calls).to.have.length(2);
    } finally {
      await emulator.close();
    }
  });

  it('reads snake_case fields (get_session_url, workflow_key, policy_id, client_redirect_url)', async () => {
    const emulator = await startUAuthEmulator({ responseShape: 'snake', clientRedirectUrl: 'http://localhost:3000/verify/done' });
    try {
      const client = new UAuthClient({ organizationKey: emulator.organizationKey, baseURL: emulator.url });
      const created = await client.createSession(DEFAULT_UAUTH_WORKFLOW_KEY);
      expect(created.getSessionUrl).to.match(/\/uauth\?sessionId=/);
      expect(await client.getSession(created.sessionId!)).to.deep.equal({
        workflowKey: DEFAULT_UAUTH_WORKFLOW_KEY,
        policyId: 'B2C_1A_UUID_REGISTRATION',
        clientRedirectUrl: 'http://localhost:3000/verify/done',
      });
    } finally {
      await emulator.close();
    }
  });

  it('requires baseURL, naming UAuthClient and the hosts UltrapassId has documented', () => {
    expect(() => new UAuthClient({ organizationKey: 'org', baseURL: undefined })).to.throw(
      TypeError,
      /^UAuthClient requires a baseURL option.*https:\/\/dev-clientapi-a53fz2ohf\.azurewebsites\.net\/api.*https:\/\/api\.ultrapassid\.com\/core.*https:\/\/api\.ultrapassid\.com\/client/,
    );
  });
});
