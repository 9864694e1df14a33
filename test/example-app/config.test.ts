import { expect } from 'chai';
import { ConfigError, loadConfig } from '../../example-app/config.js';

const SECRET = 'a-session-secret-that-is-long-enough-for-production-use';
const OLD_SECRET = 'the-previous-session-secret-also-long-enough-to-accept';
const WORKFLOW = '322dbc7a-0a8a-452a-ba6d-c3e893f29ecc';
const PRODUCTION = {
  NODE_ENV: 'production',
  SESSION_SECRET: SECRET,
  TRUST_PROXY: '1',
  ULTRACART_SIMPLE_KEY: 'app-simple-key',
  ULTRACART_CALLBACK_URL: 'https://shop.example.com/auth/ultracart/callback',
  UPID_ORGANIZATION_KEY: 'org-key',
  UPID_WORKFLOW_KEY: WORKFLOW,
  UPID_BASE_URL: 'https://upid.example.com/api',
  ULTRAPASSID_CLIENT_ID: 'portal-client-id',
  ULTRAPASSID_CALLBACK_URL: 'https://shop.example.com/verify/oidc/callback',
};

/** The variable a bad environment is blamed on. */
function blamed(env: Record<string, string | undefined>): string {
  try {
    loadConfig(env);
  } catch (err) {
    expect(err).to.be.instanceOf(ConfigError);
    expect((err as ConfigError).message.startsWith((err as ConfigError).variable)).to.equal(true);
    return (err as ConfigError).variable;
  }
  throw new Error('loadConfig accepted the environment');
}

describe('example app: configuration', () => {
  describe('with no variables at all (npm start)', () => {
    it('runs both vendors as emulators on port 3000 with a random secret', () => {
      const config = loadConfig({});
      expect(config.ultracart).to.equal(undefined);
      expect(config.uauth).to.equal(undefined);
      expect(config.emulated).to.equal(true);
      expect(config.port).to.equal(3000);
      expect(config.sessionSecretGenerated).to.equal(true);
      expect(Buffer.byteLength(config.sessionSecrets[0]!)).to.be.at.least(32);
    });

    it('accepts PORT=0 to pick a free port', () => {
      expect(loadConfig({ PORT: '0' }).port).to.equal(0);
    });
  });

  describe('with every production variable', () => {
    it('talks to the real vendors and trusts exactly the given number of proxies', () => {
      const config = loadConfig(PRODUCTION);
      expect(config.production).to.equal(true);
      expect(config.emulated).to.equal(false);
      expect(config.trustProxy).to.equal(1);
      expect(config.ultracart).to.deep.equal({ simpleKey: 'app-simple-key', callbackURL: PRODUCTION.ULTRACART_CALLBACK_URL });
      expect(config.uauth).to.deep.include({ organizationKey: 'org-key', workflowKey: WORKFLOW, baseURL: 'https://upid.example.com/api' });
      expect(config.uauth!.allowedRedirectOrigins).to.deep.equal(['https://auth.ultrapassid.com', 'https://upid.example.com']);
    });

    it('accepts a comma-separated SESSION_SECRET list for rotation, newest first', () => {
      expect(loadConfig({ ...PRODUCTION, SESSION_SECRET: `${SECRET},${OLD_SECRET}` }).sessionSecrets).to.deep.equal([SECRET, OLD_SECRET]);
    });

    it('accepts an OAuth token instead of a simple key', () => {
      const config = loadConfig({ ...PRODUCTION, ULTRACART_SIMPLE_KEY: undefined, ULTRACART_ACCESS_TOKEN: 'oauth-token' });
      expect(config.ultracart).to.deep.include({ accessToken: 'oauth-token' });
    });

    it('names the hosts UltrapassId has documented when UPID_BASE_URL is missing, rather than defaulting to its development host', () => {
      expect(() => loadConfig({ ...PRODUCTION, UPID_BASE_URL: undefined })).to.throw(
        ConfigError,
        /UPID_BASE_URL is required.*dev-clientapi-a53fz2ohf\.azurewebsites\.net\/api.*api\.ultrapassid\.com\/core/,
      );
    });

    it('uses REDIS_URL with a default key prefix', () => {
      expect(loadConfig({ ...PRODUCTION, REDIS_URL: 'redis://cache:6379' }).redis).to.deep.equal({
        url: 'redis://cache:6379',
        prefix: 'ultracart-example:',
      });
    });

    it('keeps pending sign-ins in the session unless ULTRACART_STATE_STORE=cookie', () => {
      expect(loadConfig(PRODUCTION).stateStore).to.equal('session');
      expect(loadConfig({ ...PRODUCTION, ULTRACART_STATE_STORE: 'cookie' }).stateStore).to.equal('cookie');
    });
  });

  describe('refuses to start, naming the variable, when', () => {
    const cases: Array<[string, Record<string, string | undefined>, string]> = [
      ['the state store is neither session nor cookie', { ULTRACART_STATE_STORE: 'redis' }, 'ULTRACART_STATE_STORE'],
      ['the session secret is missing in production', { ...PRODUCTION, SESSION_SECRET: undefined }, 'SESSION_SECRET'],
      ['the session secret is shorter than 32 bytes', { SESSION_SECRET: 'short' }, 'SESSION_SECRET'],
      ['one secret of a rotation list is short', { SESSION_SECRET: `${SECRET},short` }, 'SESSION_SECRET'],
      [
        'the callback URL is plain http in production',
        { ...PRODUCTION, ULTRACART_CALLBACK_URL: 'http://shop.example.com/auth/ultracart/callback' },
        'ULTRACART_CALLBACK_URL',
      ],
      [
        'the callback URL is plain http off localhost in development',
        { ULTRACART_SIMPLE_KEY: 'k', ULTRACART_CALLBACK_URL: 'http://shop.example.com/auth/ultracart/callback' },
        'ULTRACART_CALLBACK_URL',
      ],
      [
        'the callback URL is not the app’s callback route',
        { ...PRODUCTION, ULTRACART_CALLBACK_URL: 'https://shop.example.com/elsewhere' },
        'ULTRACART_CALLBACK_URL',
      ],
      ['the callback URL is not a URL', { ...PRODUCTION, ULTRACART_CALLBACK_URL: 'shop.example.com' }, 'ULTRACART_CALLBACK_URL'],
      ['an UltraCart key is given without a callback URL', { ULTRACART_SIMPLE_KEY: 'k' }, 'ULTRACART_CALLBACK_URL'],
      [
        'a callback URL is given without an UltraCart key',
        { ULTRACART_CALLBACK_URL: 'https://shop.example.com/auth/ultracart/callback' },
        'ULTRACART_SIMPLE_KEY',
      ],
      ['both a simple key and an OAuth token are given', { ...PRODUCTION, ULTRACART_ACCESS_TOKEN: 't' }, 'ULTRACART_ACCESS_TOKEN'],
      [
        'the UltraCart base URL is plain http in production',
        { ...PRODUCTION, ULTRACART_BASE_URL: 'http://secure.ultracart.com/rest/v2' },
        'ULTRACART_BASE_URL',
      ],
      ['the OIDC client id is missing in production', { ...PRODUCTION, ULTRAPASSID_CLIENT_ID: undefined }, 'ULTRAPASSID_CLIENT_ID'],
      [
        'an OIDC callback URL is given without a client id',
        { ULTRAPASSID_CALLBACK_URL: 'http://localhost:3000/verify/oidc/callback' },
        'ULTRAPASSID_CLIENT_ID',
      ],
      ['an OIDC client id is given without a callback URL', { ULTRAPASSID_CLIENT_ID: 'c' }, 'ULTRAPASSID_CALLBACK_URL'],
      [
        'the OIDC callback URL is not the app’s route',
        { ...PRODUCTION, ULTRAPASSID_CALLBACK_URL: 'https://shop.example.com/cb' },
        'ULTRAPASSID_CALLBACK_URL',
      ],
      [
        'the OIDC issuer is plain http in production',
        { ...PRODUCTION, ULTRAPASSID_ISSUER: 'http://auth.example.com' },
        'ULTRAPASSID_ISSUER',
      ],
      ['an UltrapassId workflow is given without the organization key', { UPID_WORKFLOW_KEY: WORKFLOW }, 'UPID_ORGANIZATION_KEY'],
      ['the organization key is given without a workflow', { UPID_ORGANIZATION_KEY: 'org' }, 'UPID_WORKFLOW_KEY'],
      ['the workflow key is not a UUID', { UPID_ORGANIZATION_KEY: 'org', UPID_WORKFLOW_KEY: 'registration' }, 'UPID_WORKFLOW_KEY'],
      ['the UltrapassId base URL is missing', { UPID_ORGANIZATION_KEY: 'org', UPID_WORKFLOW_KEY: WORKFLOW }, 'UPID_BASE_URL'],
      [
        'the UltrapassId base URL is plain http in production',
        { ...PRODUCTION, UPID_BASE_URL: 'http://upid.example.com/api' },
        'UPID_BASE_URL',
      ],
      [
        'production would run the UltraCart emulator',
        { ...PRODUCTION, ULTRACART_SIMPLE_KEY: undefined, ULTRACART_CALLBACK_URL: undefined },
        'ULTRACART_SIMPLE_KEY',
      ],
      [
        'production would run the UltrapassId emulator',
        { ...PRODUCTION, UPID_ORGANIZATION_KEY: undefined, UPID_WORKFLOW_KEY: undefined, UPID_BASE_URL: undefined },
        'UPID_ORGANIZATION_KEY',
      ],
      ['TRUST_PROXY is true', { TRUST_PROXY: 'true' }, 'TRUST_PROXY'],
      ['TRUST_PROXY is not an address', { TRUST_PROXY: 'loopback, 10.0.0.300/8' }, 'TRUST_PROXY'],
      ['TRUST_PROXY is missing in production', { ...PRODUCTION, TRUST_PROXY: undefined }, 'TRUST_PROXY'],
      ['TRUST_PROXY trusts no proxy in production', { ...PRODUCTION, TRUST_PROXY: '0' }, 'TRUST_PROXY'],
      ['TRUST_PROXY is false', { TRUST_PROXY: 'false' }, 'TRUST_PROXY'],
      ['TRUST_PROXY trusts every address', { TRUST_PROXY: '*' }, 'TRUST_PROXY'],
      ['TRUST_PROXY has an IPv4 prefix over 32', { TRUST_PROXY: '10.0.0.0/33' }, 'TRUST_PROXY'],
      ['TRUST_PROXY has a host name', { TRUST_PROXY: 'proxy.internal' }, 'TRUST_PROXY'],
      ['TRUST_PROXY has an empty entry', { TRUST_PROXY: 'loopback,,10.0.0.1' }, 'TRUST_PROXY'],
      ['BIND_ADDRESS is a host name', { BIND_ADDRESS: 'localhost' }, 'BIND_ADDRESS'],
      ['HSTS_INCLUDE_SUBDOMAINS is neither true nor false', { HSTS_INCLUDE_SUBDOMAINS: 'no' }, 'HSTS_INCLUDE_SUBDOMAINS'],
      ['PORT is not a port', { PORT: '70000' }, 'PORT'],
      ['REDIS_URL is not a Redis URL', { REDIS_URL: 'http://cache:6379' }, 'REDIS_URL'],
      ['RATE_LIMIT_PER_MINUTE is zero', { RATE_LIMIT_PER_MINUTE: '0' }, 'RATE_LIMIT_PER_MINUTE'],
    ];
    for (const [situation, env, variable] of cases) {
      it(`${situation} (${variable})`, () => {
        expect(blamed(env)).to.equal(variable);
      });
    }
  });

  describe('behind a proxy', () => {
    it('listens on loopback by default, in production and out of it', () => {
      expect(loadConfig(PRODUCTION).bindAddress).to.equal('127.0.0.1');
      expect(loadConfig({}).bindAddress).to.equal('127.0.0.1');
    });

    it('listens where BIND_ADDRESS says', () => {
      expect(loadConfig({ ...PRODUCTION, BIND_ADDRESS: '0.0.0.0' }).bindAddress).to.equal('0.0.0.0');
      expect(loadConfig({ BIND_ADDRESS: '::1' }).bindAddress).to.equal('::1');
    });

    const trusted: Array<[string, string | number]> = [
      ['loopback', 'loopback'],
      ['10.0.0.5', '10.0.0.5'],
      ['loopback, 10.0.0.0/8, fd00::/8', 'loopback,10.0.0.0/8,fd00::/8'],
      ['10.0.0.0/255.0.0.0', '10.0.0.0/255.0.0.0'],
      ['uniquelocal,linklocal', 'uniquelocal,linklocal'],
      ['2', 2],
    ];
    for (const [value, expected] of trusted) {
      it(`takes TRUST_PROXY=${value} as Express's trust proxy reads it`, () => {
        expect(loadConfig({ ...PRODUCTION, TRUST_PROXY: value }).trustProxy).to.equal(expected);
      });
    }

    it('names TRUST_PROXY=0 in the production refusal, and why no sign-in could work', () => {
      expect(() => loadConfig({ ...PRODUCTION, TRUST_PROXY: '0' })).to.throw(
        ConfigError,
        /^TRUST_PROXY .*, not 0: .*Secure session cookie is never set/,
      );
    });

    it('accepts TRUST_PROXY=0 outside production, where cookies are not Secure', () => {
      expect(loadConfig({ TRUST_PROXY: '0' }).trustProxy).to.equal(0);
    });

    it('keeps HSTS includeSubDomains unless HSTS_INCLUDE_SUBDOMAINS=false', () => {
      expect(loadConfig(PRODUCTION).hstsIncludeSubDomains).to.equal(true);
      expect(loadConfig({ ...PRODUCTION, HSTS_INCLUDE_SUBDOMAINS: 'false' }).hstsIncludeSubDomains).to.equal(false);
    });

    it('lets the browser go to the configured UltrapassId issuer’s pages, not the default host, when ULTRAPASSID_ISSUER is set', () => {
      const config = loadConfig({ ...PRODUCTION, ULTRAPASSID_ISSUER: 'https://auth.staging.example' });
      expect(config.uauth!.allowedRedirectOrigins).to.deep.equal(['https://auth.staging.example', 'https://upid.example.com']);
    });
  });

  describe('error messages', () => {
    it('never echo a secret value', () => {
      let refused: unknown;
      try {
        loadConfig({ SESSION_SECRET: 'tiny-secret-value' });
      } catch (err) {
        refused = err;
      }
      expect(refused, 'a too-short SESSION_SECRET was accepted').to.be.instanceOf(Error);
      expect((refused as Error).message).to.not.include('tiny-secret-value');
    });
  });
});
