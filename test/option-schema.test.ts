import { expect } from 'chai';
import { editDistance } from '../src/option-schema.js';
import { MemoryUsedStateLedger } from '../src/sign-in/used-states/ledger.js';
import {
  CookieStateStore,
  SessionStateStore,
  UAuthClient,
  uauth,
  UltraCartClient,
  UltraCartStrategy,
  type StrategyOptions,
} from '../src/index.js';

const verify = async () => false;
const CALLBACK_URL = 'https://shop.example.com/auth/ultracart/callback';
const APP_KEY = 'app-key-5b8e1c2d';
const ORG_KEY = 'org-key-0f9a8b7c';
const WORKFLOW_KEY = '322dbc7a-0a8a-452a-ba6d-c3e893f29ecc';
const COOKIE_SECRET = 's'.repeat(32);
const UAUTH_BASE_URL = 'https://clientapi.example.com/api';

/** The message a construction throws, or undefined when it does not throw. */
function messageOf(construct: () => unknown): string | undefined {
  try {
    construct();
  } catch (err) {
    expect(err).to.be.instanceOf(TypeError);
    return (err as Error).message;
  }
  return undefined;
}

const strategy = (options: Record<string, unknown>) => () =>
  new UltraCartStrategy({ callbackURL: CALLBACK_URL, simpleKey: APP_KEY, ...options } as StrategyOptions, verify);

/** Every public constructor, with valid options, so each test can add one mistake. */
const constructors: Array<[string, (extra: Record<string, unknown>) => () => unknown]> = [
  ['UltraCartStrategy', strategy],
  ['UltraCartClient', (extra) => () => new UltraCartClient({ simpleKey: APP_KEY, ...extra } as never)],
  ['UAuthClient', (extra) => () => new UAuthClient({ organizationKey: ORG_KEY, baseURL: UAUTH_BASE_URL, ...extra } as never)],
  ['uauth', (extra) => () => uauth({ organizationKey: ORG_KEY, baseURL: UAUTH_BASE_URL, workflowKey: WORKFLOW_KEY, ...extra } as never)],
  ['SessionStateStore', (extra) => () => new SessionStateStore(extra as never)],
  ['CookieStateStore', (extra) => () => new CookieStateStore({ secret: COOKIE_SECRET, ...extra } as never)],
  ['MemoryUsedStateLedger', (extra) => () => new MemoryUsedStateLedger(extra as never)],
];

describe('option checking, at construction', () => {
  describe('every public constructor', () => {
    for (const [owner, build] of constructors) {
      it(`${owner} accepts its valid options`, () => {
        expect(messageOf(build({}))).to.equal(undefined);
      });

      it(`${owner} refuses an unknown option, naming itself and the option`, () => {
        expect(messageOf(build({ frobnicate: true }))).to.match(new RegExp(`^${owner}: there is no "frobnicate" option`));
      });

      it(`${owner} treats an optional option set to undefined (as process.env gives it) as absent`, () => {
        const unset: Record<string, undefined> = {
          UltraCartStrategy: { baseURL: undefined, lockToIp: undefined, stateTtlMs: undefined, returnToParam: undefined },
          UltraCartClient: { baseURL: undefined, timeoutMs: undefined, accessToken: undefined },
          UAuthClient: { apiKeyHeader: undefined, timeoutMs: undefined },
          uauth: { sessionKey: undefined, onSession: undefined },
          SessionStateStore: { key: undefined, maxPending: undefined },
          CookieStateStore: { name: undefined, secure: undefined, path: undefined },
          MemoryUsedStateLedger: { maxEntries: undefined },
        }[owner] as unknown as Record<string, undefined>;
        expect(messageOf(build(unset))).to.equal(undefined);
      });
    }

    it('refuses options that are not an object, saying what was given', () => {
      expect(messageOf(() => new UltraCartStrategy('ultracart' as never, verify))).to.equal(
        'UltraCartStrategy requires an options object (got the string "ultracart")',
      );
      expect(messageOf(() => new UltraCartClient(undefined as never))).to.equal('UltraCartClient requires an options object');
    });
  });

  describe('a value of the wrong type', () => {
    it('is an error, not a silently disabled control: lockToIp "yes"', () => {
      expect(messageOf(strategy({ lockToIp: 'yes' }))).to.equal(
        'UltraCartStrategy: the lockToIp option must be a boolean (got the string "yes")',
      );
    });

    const cases: Array<[string, Record<string, unknown>, string]> = [
      [
        'a timeoutMs given as a string from process.env',
        { timeoutMs: '5000' },
        'the timeoutMs option must be a positive integer (got the string "5000")',
      ],
      ['a passReqToCallback of 1', { passReqToCallback: 1 }, 'the passReqToCallback option must be a boolean (got the number 1)'],
      [
        'a stateTtlMs of an hour',
        { stateTtlMs: 3_600_000 },
        'the stateTtlMs option must be an integer from 1000 to 600000 (got the number 3600000)',
      ],
      ['a name that is empty', { name: '' }, 'the name option must be a non-empty string (got the string "")'],
      ['a usedStates without claim()', { usedStates: {} }, 'the usedStates option must have claim() methods (got an object)'],
      [
        'allowedRedirectOrigins as one string',
        { allowedRedirectOrigins: 'https://secure.ultracart.com' },
        'the allowedRedirectOrigins option must be a non-empty array of strings',
      ],
      ['a dispatcher that is not one', { dispatcher: 'pool' }, 'the dispatcher option must have request() methods (got the string "pool")'],
    ];
    for (const [situation, options, message] of cases) {
      it(`names the option and the value for ${situation}`, () => {
        expect(messageOf(strategy(options))).to.include(`UltraCartStrategy: ${message}`);
      });
    }

    it('shows a long value cut short and with control characters escaped', () => {
      const message = messageOf(strategy({ signedInRedirect: `x\n${'y'.repeat(200)}` }))!;
      expect(message).to.include('the signedInRedirect option');
      expect(message).to.not.include('\n');
      expect(message).to.include(`"x\\n${'y'.repeat(58)}…"`);
    });
  });

  describe('a secret option', () => {
    it('is never quoted: a simpleKey with a line break', () => {
      const message = messageOf(strategy({ simpleKey: `${APP_KEY}\r\nx-injected: 1` }))!;
      expect(message).to.equal('UltraCartStrategy: the simpleKey option must be a non-empty string without line breaks (got a string)');
      expect(message).to.not.include(APP_KEY);
    });

    it('is never quoted: an accessToken of the wrong type', () => {
      expect(messageOf(strategy({ simpleKey: undefined, accessToken: 12345 }))).to.equal(
        'UltraCartStrategy: the accessToken option must be a non-empty string without line breaks (got a number)',
      );
    });

    it('is never quoted: a CookieStateStore secret that is too short', () => {
      const message = messageOf(() => new CookieStateStore({ secret: 'short-secret-9c1d' }))!;
      expect(message).to.match(/^CookieStateStore: the secret option must be a string \(or array of strings\) of at least 32 characters/);
      expect(message).to.not.include('short-secret-9c1d');
    });

    it('is never quoted: an organizationKey with control characters, through uauth()', () => {
      const message = messageOf(() => uauth({ organizationKey: `${ORG_KEY}\u0000`, baseURL: UAUTH_BASE_URL, workflowKey: WORKFLOW_KEY }))!;
      expect(message).to.match(/^uauth: the organizationKey option must not contain control characters/);
      expect(message).to.not.include(ORG_KEY);
    });
  });

  describe('a near miss', () => {
    const cases: Array<[string, string, string]> = [
      ['UltraCartStrategy', 'lockToIP', 'lockToIp'],
      ['UltraCartStrategy', 'callbackUrl', 'callbackURL'],
      ['UltraCartStrategy', 'simplekey', 'simpleKey'],
      ['UltraCartStrategy', 'stateTtl', 'stateTtlMs'],
      ['UltraCartStrategy', 'passReqToCalback', 'passReqToCallback'],
      ['uauth', 'workflowkey', 'workflowKey'],
      ['UAuthClient', 'organisationKey', 'organizationKey'],
      ['CookieStateStore', 'secrets', 'secret'],
    ];
    for (const [owner, typo, meant] of cases) {
      it(`${owner}: ${typo} is refused with "did you mean ${meant}?"`, () => {
        const build = constructors.find(([name]) => name === owner)![1];
        const message = messageOf(
          build(owner === 'UltraCartStrategy' && typo === 'callbackUrl' ? { callbackUrl: CALLBACK_URL } : { [typo]: true }),
        )!;
        expect(message).to.include(`there is no "${typo}" option (did you mean ${meant}?)`);
      });
    }

    it('is not suggested for a key nothing like any option, which lists the options instead', () => {
      const message = messageOf(strategy({ clientSecret: 'x' }))!;
      expect(message).to.not.include('did you mean');
      expect(message).to.include('The options are: accessToken, allowedRedirectOrigins, baseURL, callbackURL');
    });
  });

  describe('the class the user called', () => {
    it('is named when the credential is missing from UltraCartStrategy, not UltraCartClient', () => {
      expect(messageOf(strategy({ simpleKey: undefined }))).to.equal(
        'UltraCartStrategy requires a simpleKey option (or an accessToken option)',
      );
    });

    it('is named when both credentials are given', () => {
      expect(messageOf(strategy({ accessToken: 'token' }))).to.equal(
        'UltraCartStrategy: takes exactly one of the simpleKey and accessToken options, not both',
      );
    });

    it('is named when a connection option given to uauth() is wrong, not UAuthClient', () => {
      expect(
        messageOf(() => uauth({ organizationKey: ORG_KEY, baseURL: UAUTH_BASE_URL, workflowKey: WORKFLOW_KEY, timeoutMs: -1 })),
      ).to.match(/^uauth: the timeoutMs option must be a positive integer/);
    });
  });

  describe('a property planted on Object.prototype', () => {
    const planted = Object.prototype as Record<string, unknown>;
    afterEach(() => {
      delete planted.baseURL;
      delete planted.lockToIp;
    });

    it('does not become an option: the client keeps the default base URL', () => {
      planted.baseURL = 'https://attacker.example/rest/v2';
      const built = strategy({})();
      expect(built.client.baseURL).to.equal('https://secure.ultracart.com/rest/v2');
    });

    it('is not refused as an unknown option either', () => {
      planted.lockToIp = 'yes';
      expect(messageOf(strategy({}))).to.equal(undefined);
    });
  });
});

describe('editDistance', () => {
  it('counts insertions, deletions and substitutions', () => {
    expect(editDistance('locktoip', 'locktoip')).to.equal(0);
    expect(editDistance('statettl', 'statettlms')).to.equal(2);
    expect(editDistance('kitten', 'sitting')).to.equal(3);
  });

  it('gives up past the limit', () => {
    expect(editDistance('callbackurl', 'name', 2)).to.equal(3);
  });
});
