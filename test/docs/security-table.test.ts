import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

interface Row {
  case: string;
  files: string[];
  title: string;
}

/** The rows of docs/security.md's "Coverage of the threat model" table. */
function coverageRows(): Row[] {
  const markdown = readFileSync(join(root, 'docs/security.md'), 'utf8');
  const section = markdown.slice(markdown.indexOf('## Coverage of the threat model'));
  return section
    .split('\n')
    .filter((line) => /^\| \d+ /.test(line))
    .map((line) => {
      const [number = '', files = '', title = ''] = line
        .split('|')
        .slice(1, 4)
        .map((cell) => cell.trim());
      return { case: number, files: [...files.matchAll(/`([^`]+)`/g)].map((m) => m[1]!), title };
    });
}

/** A title as the table writes it: `…` stands for a value the test loops over; code spans are plain text. */
function titleMatcher(title: string): RegExp {
  const parts = title
    .replace(/`/g, '')
    .split('…')
    .map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
  return new RegExp(`(?:^| )${parts.join('.*?')}$`);
}

interface ListedTest {
  title: string;
  fullTitle: string;
  file: string;
}

/** Every test title mocha would run in `files`, listed with `--dry-run` (nothing runs). */
async function listTests(files: string[]): Promise<ListedTest[]> {
  const dir = mkdtempSync(join(tmpdir(), 'security-table-'));
  try {
    const output = join(dir, 'tests.json');
    const mocha = join(root, 'node_modules/mocha/bin/mocha.js');
    await promisify(execFile)(
      process.execPath,
      [mocha, '--dry-run', '--reporter', 'json', '--reporter-option', `output=${output}`, ...files],
      {
        cwd: root,
        env: { ...process.env, REDIS_URL: '' },
      },
    );
    return (JSON.parse(readFileSync(output, 'utf8')) as { tests: ListedTest[] }).tests;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('docs/security.md, the threat-model coverage table', () => {
  const rows = coverageRows();

  it('has a row for each case, in order', () => {
    expect(rows.length).to.be.greaterThan(40);
    const numbers = rows.map((row) => Number(row.case));
    // Strictly ascending: in order, none twice. Cases 50 and later are mapped as their work lands, so a gap there is
    // allowed; the cases before them are all mapped.
    expect(numbers.every((n, i) => i === 0 || n > numbers[i - 1]!)).to.equal(true);
    expect(numbers.filter((n) => n < 50)).to.deep.equal(Array.from({ length: 49 }, (_, i) => i + 1));
  });

  it('says in its opening sentence how many cases the table covers', () => {
    const opening = /maps (\d+) numbered cases/.exec(readFileSync(join(root, 'docs/security.md'), 'utf8'));
    expect(Number(opening?.[1])).to.equal(rows.length);
  });

  it('names test titles without case numbers', () => {
    expect(rows.filter((row) => /\bcases? \d+/i.test(row.title)).map((row) => row.case)).to.deep.equal([]);
  });

  it('names, for each case, a test that exists in one of the files it lists', async function () {
    this.timeout(60_000);
    const files = [...new Set(rows.flatMap((row) => row.files))].map((file) => `test/${file}.test.ts`);
    const tests = await listTests(files);
    const missing = rows.filter((row) => {
      const matcher = titleMatcher(row.title);
      const inFiles = tests.filter((test) => row.files.includes(relative(join(root, 'test'), test.file).replace(/\.test\.ts$/, '')));
      return !inFiles.some((test) => matcher.test(test.title) || matcher.test(test.fullTitle));
    });
    expect(missing.map((row) => `${row.case}: ${row.title}`)).to.deep.equal([]);
  });
});
