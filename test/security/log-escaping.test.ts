import { expect } from 'chai';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { logText } from '../../example-app/log-text.js';
import { startExample, type Example } from '../example-app/support.js';
import { rawGet } from './support.js';

/** Threat model case 66: what a client sends reaches the example app's log quoted and escaped, never as markup or a line of its own. */
describe('the example app’s log lines with what a client sent', () => {
  describe('when the path is sent raw with quotes, markup and a script', () => {
    let ex: Example;
    let server: Server;
    let port: number;
    before(async () => {
      ex = await startExample();
      server = ex.app.listen(0, '127.0.0.1');
      await new Promise((resolve) => server.once('listening', resolve));
      port = (server.address() as AddressInfo).port;
    });
    after(async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      await ex.close();
    });

    it('prints the path as an escaped JSON string, without the raw quote or angle brackets', async () => {
      await rawGet(port, '/evil.example";alert(1);x="<b>PWNED</b>');
      const line = ex.logged.find((l) => l.includes('PWNED'));
      expect(line).to.equal(
        'GET "/evil.example\\";alert(1);x=\\"\\u003cb\\u003ePWNED\\u003c/b\\u003e" 404 ' + /\d+ms$/.exec(line ?? '')?.[0],
      );
      expect(line).to.not.include('<b>');
    });

    it('prints a plain path as it is', async () => {
      await rawGet(port, '/no-such-page');
      expect(ex.logged.some((l) => /^GET \/no-such-page 404 \d+ms$/.test(l))).to.equal(true);
    });
  });

  describe('logText', () => {
    it('escapes control characters, so one value never becomes two lines', () => {
      expect(logText('/a\nGET /admin 200 1ms')).to.equal('"/a\\nGET /admin 200 1ms"');
      expect(logText('a\u2028b\u0000')).to.equal('"a\\u2028b\\u0000"');
    });

    it('quotes a value with a backslash, a space or any character outside printable ASCII', () => {
      expect(logText('a\\b')).to.equal('"a\\\\b"');
      expect(logText('a b')).to.equal('"a b"');
      expect(logText('é')).to.equal('"é"');
      expect(logText('')).to.equal('""');
    });
  });
});
