import { expect } from 'chai';
import { loadConfig } from '../../example-app/config.js';
import { startupWarnings } from '../../example-app/startup-checks.js';

const PRODUCTION = {
  NODE_ENV: 'production',
  SESSION_SECRET: 'a-session-secret-that-is-long-enough-for-production-use',
  TRUST_PROXY: 'loopback',
  REDIS_URL: 'redis://127.0.0.1:6379',
  ULTRACART_SIMPLE_KEY: 'app-simple-key',
  ULTRACART_CALLBACK_URL: 'https://shop.example.com/auth/ultracart/callback',
  UPID_ORGANIZATION_KEY: 'org-key',
  UPID_WORKFLOW_KEY: '322dbc7a-0a8a-452a-ba6d-c3e893f29ecc',
  UPID_BASE_URL: 'https://upid.example.com/api',
  ULTRAPASSID_CLIENT_ID: 'portal-client-id',
  ULTRAPASSID_CALLBACK_URL: 'https://shop.example.com/verify/oidc/callback',
};

function warningsFor(env: Record<string, string | undefined>, port = 3000): string[] {
  return startupWarnings(loadConfig(env), port);
}

describe('example app: start-up warnings', () => {
  it('has nothing to say about the documented production set-up', () => {
    expect(warningsFor(PRODUCTION)).to.deep.equal([]);
  });

  describe('when several instances could not share sessions', () => {
    it('warns in production without REDIS_URL, saying the cookie state store does not replace it', () => {
      const [warning, ...rest] = warningsFor({ ...PRODUCTION, REDIS_URL: undefined, ULTRACART_STATE_STORE: 'cookie' });
      expect(rest).to.deep.equal([]);
      expect(warning).to.match(/^REDIS_URL is not set: sessions live in this instance’s memory\./);
      expect(warning).to.include('ULTRACART_STATE_STORE=cookie does not change that');
    });

    it('says nothing outside production, where one instance is the norm', () => {
      expect(warningsFor({})).to.deep.equal([]);
    });
  });

  describe('when the app port is open beyond loopback', () => {
    it('warns that a hop count believes forged X-Forwarded headers from whoever reaches the port', () => {
      const [warning] = warningsFor({ ...PRODUCTION, BIND_ADDRESS: '0.0.0.0', TRUST_PROXY: '1' });
      expect(warning).to.match(/^BIND_ADDRESS=0\.0\.0\.0 with TRUST_PROXY=1 \(a hop count\): .*can forge their address/);
    });

    it('reminds that only the proxy may reach the port when the proxy is named by address', () => {
      const [warning] = warningsFor({ ...PRODUCTION, BIND_ADDRESS: '10.0.0.7', TRUST_PROXY: '10.0.0.5' });
      expect(warning).to.equal(
        'BIND_ADDRESS=10.0.0.7: the app port 3000 must be reachable from your proxy only (firewall it); the app speaks plain http.',
      );
    });
  });

  describe('when a callback URL is not where users reach the app', () => {
    it('warns when it names the app’s own plain-http port behind the proxy', () => {
      const warnings = warningsFor({ ...PRODUCTION, ULTRACART_CALLBACK_URL: 'https://shop.example.com:3000/auth/ultracart/callback' });
      expect(warnings[0]).to.match(/^ULTRACART_CALLBACK_URL names port 3000, the port the app itself listens on over plain http/);
    });

    it('warns when the two callback URLs name different ports of one host', () => {
      const warnings = warningsFor({ ...PRODUCTION, ULTRAPASSID_CALLBACK_URL: 'https://shop.example.com:8443/verify/oidc/callback' });
      expect(warnings).to.deep.equal([
        'ULTRACART_CALLBACK_URL is on shop.example.com but ULTRAPASSID_CALLBACK_URL is on shop.example.com:8443: both must be the address users see, or the browser comes back to a host (or port) that does not hold its cookies.',
      ]);
    });

    it('warns when they name different hosts that are not loopback', () => {
      const warnings = warningsFor({ ...PRODUCTION, ULTRAPASSID_CALLBACK_URL: 'https://www.example.com/verify/oidc/callback' });
      expect(warnings).to.have.length(1);
      expect(warnings[0]).to.include('is on shop.example.com but ULTRAPASSID_CALLBACK_URL is on www.example.com');
    });

    it('warns, with no proxy, when a loopback callback names another port than the one the app listens on', () => {
      const warnings = warningsFor(
        { ULTRACART_SIMPLE_KEY: 'k', ULTRACART_CALLBACK_URL: 'http://127.0.0.1:3001/auth/ultracart/callback' },
        3000,
      );
      expect(warnings).to.deep.equal([
        'ULTRACART_CALLBACK_URL names port 3001, but the app listens on port 3000 with no proxy in front: the vendor will send browsers to a port nothing answers on.',
      ]);
    });
  });
});
