import { expect } from 'chai';
import { checkRedirectTarget } from '../../src/http/redirect-target.js';
import { safeReturnTo } from '../../src/http/return-to.js';
import { isJsonContentType, parseJson, parseRetryAfter } from '../../src/http/transport.js';

describe('parseJson', () => {
  it('drops __proto__, constructor and prototype keys, written plainly or with JSON escapes', () => {
    const value = parseJson(
      '{"\\u005f_proto__":{"a":1},"__proto__":{"b":1},"constructor":{"c":1},"nested":{"prototype":1,"ok":true},"d":2}',
    );
    expect(Object.keys(value as object)).to.deep.equal(['nested', 'd']);
    expect((value as { nested: object }).nested).to.deep.equal({ ok: true });
  });

  it('returns undefined for text that is not JSON, without throwing', () => {
    expect(parseJson('{"simple_key": "abc')).to.equal(undefined);
    expect(parseJson('')).to.equal(undefined);
  });
});

describe('isJsonContentType', () => {
  it('accepts application/json with parameters and +json types', () => {
    expect(isJsonContentType('application/json; charset=UTF-8')).to.equal(true);
    expect(isJsonContentType('application/problem+json')).to.equal(true);
  });

  it('refuses HTML, text and a missing header', () => {
    expect(isJsonContentType('text/html')).to.equal(false);
    expect(isJsonContentType('text/plain')).to.equal(false);
    expect(isJsonContentType(undefined)).to.equal(false);
  });
});

describe('parseRetryAfter', () => {
  it('reads delta-seconds and HTTP dates', () => {
    const now = Date.parse('2026-11-23T10:00:00Z');
    expect(parseRetryAfter('30', now)).to.equal(30);
    expect(parseRetryAfter('Mon, 23 Nov 2026 10:01:00 GMT', now)).to.equal(60);
  });

  it('ignores values it cannot read', () => {
    expect(parseRetryAfter('soon')).to.equal(undefined);
    expect(parseRetryAfter('-5')).to.equal(undefined);
  });
});

describe('checkRedirectTarget', () => {
  const policy = {
    allowedOrigins: new Set(['https://secure.ultracart.com', 'http://127.0.0.1:4000']),
    plainHttpOrigin: 'http://127.0.0.1:4000',
  };

  it('returns the parsed URL for an allowed https origin', () => {
    expect(checkRedirectTarget('https://secure.ultracart.com/login?x=1', policy)).to.deep.equal({
      ok: true,
      url: 'https://secure.ultracart.com/login?x=1',
    });
  });

  it('allows plain http only for the API origin itself', () => {
    expect(checkRedirectTarget('http://127.0.0.1:4000/login', policy).ok).to.equal(true);
    expect(checkRedirectTarget('http://secure.ultracart.com/login', policy).ok).to.equal(false);
  });

  for (const bad of [
    '//secure.ultracart.com/x',
    'javascript:alert(1)',
    'https://user@secure.ultracart.com/',
    'https://secure.ultracart.com/\r\nx',
    'https://evil.example/',
  ]) {
    it(`refuses ${JSON.stringify(bad)}`, () => {
      expect(checkRedirectTarget(bad, policy).ok).to.equal(false);
    });
  }
});

describe('safeReturnTo', () => {
  it('keeps a same-origin path with its query and fragment', () => {
    expect(safeReturnTo('/orders?page=2#top')).to.equal('/orders?page=2#top');
  });

  for (const bad of [
    '//evil.com',
    '/\\evil.com',
    'https://evil.com',
    'javascript:alert(1)',
    '/\t/evil.com',
    '/\r\nSet-Cookie:x',
    'orders',
    '',
  ]) {
    it(`refuses ${JSON.stringify(bad)}`, () => {
      expect(safeReturnTo(bad)).to.equal(undefined);
    });
  }
});
