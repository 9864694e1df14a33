/**
 * `npm run bench:strategy`: the CPU the strategy's own code costs per sign-in, both legs, with no
 * network, no Express and no Passport. A canned dispatcher answers the three UltraCart calls at once,
 * so what is left is the strategy, the client and the transport: state, checks, headers, parsing.
 * The full benchmark (`npm run bench`) shows this share against everything else a sign-in costs.
 */
import type { IncomingMessage } from 'node:http';
import { Readable } from 'node:stream';
import { UltraCartStrategy } from 'passport-ultracart';
import type { Dispatcher } from 'undici';

const BASE_URL = 'https://secure.ultracart.com/rest/v2';
const WARM_UP = 5_000;
const SIGN_INS = Number(process.argv[2] ?? 50_000);
const ROUNDS = 5;

const expires = new Date(Date.now() + 3_600_000).toISOString();
const bodies = new Map<string, Buffer>(
  Object.entries({
    '/rest/v2/sso/authorize': { login_url: 'https://secure.ultracart.com/merchant/sso/login?request=r-1', expiration_dts: expires },
    '/rest/v2/sso/token': { simple_key: 'user-simple-key-0123456789abcdef', expiration_dts: expires, ip_address: '127.0.0.1' },
    '/rest/v2/sso/session/user': { user_id: 4242, login: 'ops', email: 'ops@example.com', full_name: 'Operations' },
  }).map(([path, body]) => [path, Buffer.from(JSON.stringify(body))]),
);

/** Just enough of an undici dispatcher for the client: a 200 with a declared length, read as text. */
const canned = {
  async request(options: { path: string }) {
    const body = bodies.get(options.path)!;
    return {
      statusCode: 200,
      headers: { 'content-type': 'application/json', 'content-length': String(body.length) },
      body: Object.assign(Readable.from([]), { text: async () => body.toString('utf8') }),
    };
  },
} as unknown as Dispatcher;

const strategy = new UltraCartStrategy(
  { callbackURL: 'https://shop.example.com/auth/ultracart/callback', baseURL: BASE_URL, simpleKey: 'app-simple-key', dispatcher: canned },
  (_simpleKey, _token, profile, done) => done(null, { id: profile.id }),
);

/** One leg, as Passport runs it: a per-request copy of the strategy with the actions attached. */
function leg(req: object): Promise<void> {
  return new Promise((resolve, reject) => {
    const run = Object.create(strategy) as UltraCartStrategy;
    run.redirect = () => resolve();
    run.success = () => resolve();
    run.fail = (challenge) => reject(new Error(`unexpected fail: ${JSON.stringify(challenge)}`));
    run.error = (err) => reject(err instanceof Error ? err : new Error(String(err)));
    run.pass = () => reject(new Error('unexpected pass'));
    run.authenticate(req as IncomingMessage, {});
  });
}

const response = { headersSent: false, setHeader() {} };

async function signIn(): Promise<void> {
  const session: Record<string, unknown> = {};
  await leg({ url: '/auth/ultracart', originalUrl: '/auth/ultracart', query: {}, session, headers: {}, res: response });
  const [pending] = session['ultracart:pending'] as Array<{ state: string }>;
  const query = { state: pending!.state, code: 'code-0123456789' };
  await leg({ url: '/auth/ultracart/callback', originalUrl: '/auth/ultracart/callback', query, session, headers: {}, res: response });
}

for (let i = 0; i < WARM_UP; i++) await signIn();
const perSignIn: number[] = [];
for (let round = 0; round < ROUNDS; round++) {
  const before = process.cpuUsage();
  for (let i = 0; i < SIGN_INS; i++) await signIn();
  const used = process.cpuUsage(before);
  perSignIn.push((used.user + used.system) / SIGN_INS);
}
perSignIn.sort((a, b) => a - b);
console.log(
  `strategy CPU per sign-in (both legs, canned upstream): median ${perSignIn[2]!.toFixed(1)} us, ` +
    `rounds ${perSignIn.map((us) => us.toFixed(1)).join(' / ')} us, ${ROUNDS} x ${SIGN_INS} sign-ins`,
);
