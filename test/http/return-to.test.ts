import { expect } from 'chai';
import fc from 'fast-check';
import { isSameOriginPath, safeReturnTo } from '../../src/http/return-to.js';
import { hostilePath, NORMALISED_OFF_SITE, plainPath, whyNotSameOrigin } from '../support/return-paths.js';

// Threat model case 50: validate the output, not the input.
describe('safeReturnTo, judged by what it returns', () => {
  describe('given paths the URL parser normalises into another host', () => {
    for (const path of NORMALISED_OFF_SITE) {
      it(`refuses ${path}, which parses to a protocol-relative //evil.com`, () => {
        expect(safeReturnTo(path)).to.equal(undefined);
      });
    }
  });

  describe('given any mix of dot segments, slashes, backslashes, escapes and controls', () => {
    it('returns only paths a browser resolves to the same origin, as they are', () => {
      fc.assert(
        fc.property(hostilePath, (path) => {
          const out = safeReturnTo(path);
          if (out === undefined) return;
          const why = whyNotSameOrigin(out);
          expect(why, `${JSON.stringify(path)} -> ${JSON.stringify(out)}`).to.equal(undefined);
        }),
        { numRuns: 20_000 },
      );
    });

    it('refuses every one of them that ends at another host once normalised', () => {
      fc.assert(
        fc.property(hostilePath, (path) => {
          const parsed = URL.parse(path, 'https://shop.example');
          if (parsed?.origin === 'https://shop.example' && !parsed.pathname.startsWith('//')) return;
          expect(safeReturnTo(path), JSON.stringify(path)).to.equal(undefined);
        }),
        { numRuns: 20_000 },
      );
    });

    it('refuses the same mixes behind any prefix of dot segments', () => {
      const dots = fc.array(fc.constantFrom('/.', '/..', '/%2e', '/%2E', '/.%2e', '/%2E.', '/%2e%2e', '/a/..', '/a/%2e%2E'), {
        minLength: 1,
        maxLength: 6,
      });
      fc.assert(
        fc.property(dots, fc.constantFrom('//evil.com', '/\\evil.com', '//evil.com/%2e%2e', '///evil.com'), (prefix, tail) => {
          expect(safeReturnTo(prefix.join('') + tail)).to.equal(undefined);
        }),
        { numRuns: 5000 },
      );
    });
  });

  describe('given plain same-origin paths', () => {
    it('returns them unchanged, so refusing is not all it does', () => {
      fc.assert(
        fc.property(plainPath, (path) => {
          expect(safeReturnTo(path)).to.equal(path);
        }),
      );
    });

    it('returns the normalised form of a harmless dot segment', () => {
      expect(safeReturnTo('/orders/../account?tab=1')).to.equal('/account?tab=1');
      expect(safeReturnTo('/a/%2e%2e')).to.equal('/');
    });
  });
});

describe('isSameOriginPath', () => {
  it('accepts a path the parser leaves as it is', () => {
    expect(isSameOriginPath('/orders?page=2#top')).to.equal(true);
    expect(isSameOriginPath('/')).to.equal(true);
  });

  it('refuses a path the parser would rewrite, even to something harmless', () => {
    expect(isSameOriginPath('/a/../b')).to.equal(false);
    expect(isSameOriginPath('/a b')).to.equal(false);
  });

  it('refuses protocol-relative, backslashed and control-character paths', () => {
    for (const path of ['//evil.com', '/\\evil.com', '/a\tb', '/a\u007fb', 'evil.com', '']) {
      expect(isSameOriginPath(path), JSON.stringify(path)).to.equal(false);
    }
  });
});
