import { expect } from 'chai';
import { UltrapassIdStrategy, type UltrapassIdStrategyOptions } from '../../src/index.js';

const verify = (): void => undefined;
const base: UltrapassIdStrategyOptions = { clientId: 'client-1', callbackURL: 'https://shop.example.com/auth/ultrapassid/callback' };
const build = (options: Partial<UltrapassIdStrategyOptions>) => () =>
  new UltrapassIdStrategy({ ...base, ...options } as UltrapassIdStrategyOptions, verify);

describe('UltrapassIdStrategy options', () => {
  describe('with only clientId and callbackURL', () => {
    it('is named ultrapassid and makes no network call at construction', () => {
      expect(new UltrapassIdStrategy(base, verify).name).to.equal('ultrapassid');
    });
  });

  describe('when an option is wrong', () => {
    const cases: Array<[string, Partial<UltrapassIdStrategyOptions>, RegExp]> = [
      ['a missing clientId', { clientId: undefined as never }, /requires a clientId option/],
      ['a clientId with spaces', { clientId: 'a b' }, /clientId option must be/],
      ['a missing callbackURL', { callbackURL: undefined as never }, /requires a callbackURL option/],
      ['a relative callbackURL', { callbackURL: '/cb' }, /callbackURL option must be an absolute URL/],
      ['a plain-http callbackURL off loopback', { callbackURL: 'http://shop.example.com/cb' }, /callbackURL option must be https/],
      ['a callbackURL with a query', { callbackURL: 'https://shop.example.com/cb?x=1' }, /callbackURL option must not carry a query/],
      [
        'a plain-http issuer off loopback',
        { issuer: 'http://auth.example.com' },
        /issuer option must be https \(plain http is allowed only on localhost/,
      ],
      ['an issuer with userinfo', { issuer: 'https://u:p@auth.example.com' }, /issuer option must not carry userinfo/],
      ['a scope without openid', { scope: 'profile' }, /scope option must be a space-separated list of scopes that includes openid/],
      [
        'responseMode fragment',
        { responseMode: 'fragment' as never },
        /responseMode option must not be 'fragment', which cannot work in a server-side strategy/,
      ],
      ['an unknown responseMode', { responseMode: 'jwt' as never }, /responseMode option must be 'query' or 'form_post'/],
      [
        'only some explicit endpoints',
        { tokenEndpoint: 'https://auth.example.com/token' },
        /all three of authorizationEndpoint, tokenEndpoint and jwksUri/,
      ],
      ['a timeoutMs of zero', { timeoutMs: 0 }, /timeoutMs option must be an integer/],
      ['a stateTtlMs over ten minutes', { stateTtlMs: 3_600_000 }, /stateTtlMs option must be an integer from 1000 to 600000/],
      [
        'a stateStore without take()',
        { stateStore: { save: async () => undefined } as never },
        /stateStore option must have save\(\) and take\(\)/,
      ],
      ['a usedStates without claim()', { usedStates: {} as never }, /usedStates option must have claim\(\) methods/],
    ];
    for (const [what, options, message] of cases) {
      it(`throws a TypeError naming the option for ${what}`, () => {
        expect(build(options)).to.throw(TypeError, message);
      });
    }

    it('refuses an unknown option, suggesting the one meant', () => {
      expect(build({ callbackUrl: 'https://shop.example.com/cb' } as never)).to.throw(
        TypeError,
        /UltrapassIdStrategy.*callbackUrl.*callbackURL/,
      );
    });

    it('names the class and the option, and what was given, for a value of the wrong type', () => {
      expect(build({ timeoutMs: '5000' as never })).to.throw(
        TypeError,
        /^UltrapassIdStrategy: the timeoutMs option must be an integer from 1 to 120000 \(got /,
      );
    });

    it('throws without a verify function', () => {
      expect(() => new UltrapassIdStrategy(base, undefined as never)).to.throw(TypeError, /requires a verify function/);
    });
  });

  describe('when an option is misspelt', () => {
    for (const [typo, meant] of [
      ['passReqToCallBack', 'passReqToCallback'],
      ['clientID', 'clientId'],
      ['responseMod', 'responseMode'],
      ['stateTTLMs', 'stateTtlMs'],
    ] as const) {
      it(`refuses ${typo}, naming the class and suggesting ${meant}, rather than ignoring it`, () => {
        expect(build({ [typo]: true } as never)).to.throw(
          TypeError,
          new RegExp(`^UltrapassIdStrategy: there is no "${typo}" option \\(did you mean ${meant}\\?\\)`),
        );
      });
    }

    it('refuses a key far from every option, listing the options', () => {
      expect(build({ colour: 'blue' } as never)).to.throw(
        TypeError,
        /there is no "colour" option\. The options are: authorizationEndpoint, callbackURL/,
      );
    });
  });

  describe('when the issuer is on this machine', () => {
    for (const issuer of ['http://127.0.0.1:4000', 'http://localhost:4000', 'http://[::1]:4000']) {
      it(`accepts plain http for ${issuer}`, () => {
        expect(build({ issuer, callbackURL: 'http://localhost:3000/cb' })).to.not.throw();
      });
    }
  });
});
