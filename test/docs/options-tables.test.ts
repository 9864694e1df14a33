import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { UAUTH_MIDDLEWARE_SCHEMA } from '../../src/uauth/option-rules.js';
import { STRATEGY_SCHEMA } from '../../src/ultracart/option-rules.js';
import { ROOT } from '../support/example-app-process.js';

/*
 * The options tables of the docs are checked against the option schemas the constructors read, so
 * an option added to a schema and not to its table (or a table row for an option that is gone)
 * fails here rather than going unnoticed by a reader who takes the table as complete.
 */

/** Every option a Markdown options table names: the backticked names in the first cell of each row of the first options table after `heading` (after the start without one). */
function optionsInTable(file: string, heading?: string): string[] {
  const markdown = readFileSync(join(ROOT, file), 'utf8');
  const start = heading === undefined ? 0 : markdown.indexOf(`\n${heading}\n`);
  expect(start, `${file} has a "${heading}" heading`).to.be.greaterThan(-1);
  const lines = markdown.slice(start).split('\n');
  const header = lines.findIndex((line) => line.startsWith('| option '));
  expect(header, `${file} has an options table after "${heading ?? 'its start'}"`).to.be.greaterThan(-1);
  const end = lines.findIndex((line, index) => index > header && !line.startsWith('|'));
  const rows = lines.slice(header + 2, end);
  return rows.flatMap((row) => [...row.split('|')[1]!.matchAll(/`(\w+)`/g)].map((m) => m[1]!)).sort();
}

describe('the options tables', () => {
  it("list in the README exactly the options UltraCartStrategy's schema accepts", () => {
    expect(optionsInTable('README.md', '## Options')).to.deep.equal(Object.keys(STRATEGY_SCHEMA).sort());
  });

  it("list in docs/uauth.md (its first table) exactly the options uauth()'s schema accepts", () => {
    expect(optionsInTable('docs/uauth.md')).to.deep.equal(Object.keys(UAUTH_MIDDLEWARE_SCHEMA).sort());
  });
});
