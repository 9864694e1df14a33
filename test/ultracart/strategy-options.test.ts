import { expect } from 'chai';
import { CookieStateStore, UltraCartStrategy, type StrategyOptions } from '../../src/index.js';

const verify = () => undefined;
const valid: StrategyOptions = { callbackURL: 'https://shop.example.com/auth/ultracart/callback', simpleKey: 'app-key' };

function build(overrides: Record<string, unknown>): () => UltraCartStrategy {
  return () => new UltraCartStrategy({ ...valid, ...overrides } as StrategyOptions, verify);
}

describe('UltraCartStrategy options', () => {
  describe('when they are valid', () => {
    it('registers under the name ultracart', () => {
      expect(build({})().name).to.equal('ultracart');
    });

    it('registers under a custom name when given one', () => {
      expect(build({ name: 'ultracart-eu' })().name).to.equal('ultracart-eu');
    });

    it('accepts plain http for a callback on localhost, for development', () => {
      expect(build({ callbackURL: 'http://localhost:3000/auth/ultracart/callback' })).to.not.throw();
    });

    it('accepts a CookieStateStore', () => {
      expect(build({ stateStore: new CookieStateStore({ secret: 's'.repeat(32) }) })).to.not.throw();
    });

    it('exposes a client using the same connection options', () => {
      expect(build({ baseURL: 'https://secure.ultracart.com/rest/v2/' })().client.baseURL).to.equal('https://secure.ultracart.com/rest/v2');
    });
  });

  describe('when one is wrong, the constructor throws a message naming it', () => {
    const cases: Array<[string, Record<string, unknown>, RegExp]> = [
      ['no callbackURL', { callbackURL: undefined }, /requires a callbackURL option/],
      ['a relative callbackURL', { callbackURL: '/auth/ultracart/callback' }, /callbackURL option must be an absolute URL/],
      ['an http callbackURL off localhost', { callbackURL: 'http://shop.example.com/cb' }, /callbackURL option must be https/],
      [
        'a callbackURL with surrounding whitespace',
        { callbackURL: ' https://shop.example.com/cb' },
        /callbackURL option must not contain whitespace/,
      ],
      ['a callbackURL with userinfo', { callbackURL: 'https://user:pw@shop.example.com/cb' }, /callbackURL option must not carry userinfo/],
      ['no credential', { simpleKey: undefined }, /requires a simpleKey option/],
      ['both credentials', { accessToken: 'token' }, /exactly one of the simpleKey and accessToken options/],
      ['a baseURL that is not a URL', { baseURL: 'secure.ultracart.com' }, /baseURL option must be an absolute URL/],
      ['a non-integer timeoutMs', { timeoutMs: 1.5 }, /timeoutMs option must be a positive integer/],
      ['a stateTtlMs over ten minutes', { stateTtlMs: 3_600_000 }, /stateTtlMs option must be an integer from 1000 to 600000/],
      ['an empty allowedRedirectOrigins', { allowedRedirectOrigins: [] }, /allowedRedirectOrigins option must be a non-empty array/],
      ['an unparsable allowed origin', { allowedRedirectOrigins: ['not a url'] }, /allowedRedirectOrigins option must hold absolute URLs/],
      ['a stateStore without take()', { stateStore: { save: async () => undefined } }, /stateStore option must have save\(\) and take\(\)/],
    ];
    for (const [situation, overrides, message] of cases) {
      it(`rejects ${situation}`, () => {
        expect(build(overrides)).to.throw(TypeError, message);
      });
    }

    it('rejects a missing verify function', () => {
      expect(() => new UltraCartStrategy(valid, undefined as never)).to.throw(TypeError, /requires a verify function/);
    });
  });
});
