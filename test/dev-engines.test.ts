import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { ROOT } from './support/example-app-process.js';

/*
 * A contributor on the documented minimum Node (package.json's `engines`) gets no EBADENGINE
 * warning from `npm ci`: every package the lockfile installs accepts that version. Optional
 * platform binaries npm skips on a mismatch are left out.
 */

const require = createRequire(import.meta.url);
const semver = require('semver') as {
  minVersion(range: string): { version: string } | null;
  satisfies(version: string, range: string): boolean;
};

interface Locked {
  version?: string;
  optional?: boolean;
  engines?: { node?: string };
}

describe('the dev dependencies', () => {
  it('all accept the documented minimum Node, so npm ci prints no EBADENGINE warning there', () => {
    const { engines } = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { engines: { node: string } };
    const minimum = semver.minVersion(engines.node)!.version;
    const lock = JSON.parse(readFileSync(join(ROOT, 'package-lock.json'), 'utf8')) as { packages: Record<string, Locked> };
    const refusing = Object.entries(lock.packages)
      .filter(([path, entry]) => path !== '' && !entry.optional && entry.engines?.node && !semver.satisfies(minimum, entry.engines.node))
      .map(([path, entry]) => `${path}@${entry.version} wants node ${entry.engines!.node}`);
    expect(minimum).to.equal('20.18.1');
    expect(refusing).to.deep.equal([]);
  });
});
