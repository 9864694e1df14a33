import { expect } from 'chai';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

/** The Markdown files a reader follows links between: the README, docs/, and the READMEs beside code. */
function markdownFiles(): string[] {
  const files = ['README.md', 'CHANGELOG.md', 'SECURITY.md'].filter((name) => existsSync(join(root, name)));
  const walk = (dir: string): void => {
    for (const name of readdirSync(join(root, dir))) {
      const path = join(dir, name);
      if (name === 'node_modules' || name.startsWith('.')) continue;
      if (statSync(join(root, path)).isDirectory()) walk(path);
      else if (name.endsWith('.md')) files.push(path);
    }
  };
  for (const dir of ['docs', 'examples', 'bench']) if (existsSync(join(root, dir))) walk(dir);
  return files;
}

/** Strip fenced code blocks, so a `[x](y)` inside an example is not taken for a link. */
function prose(markdown: string): string {
  return markdown.replace(/^```[\s\S]*?^```/gm, '');
}

/** GitHub's heading anchors: lower case, punctuation dropped, spaces to hyphens, repeats numbered. */
function anchors(markdown: string): Set<string> {
  const seen = new Map<string, number>();
  const out = new Set<string>();
  for (const [, heading] of prose(markdown).matchAll(/^#{1,6} +(.+?) *#*$/gm)) {
    const base = heading!
      .replace(/\[([^\]]*)\]\([^)]*\)/g, '$1')
      .toLowerCase()
      .replace(/[^\p{L}\p{N}\s_-]/gu, '')
      .replace(/ /g, '-');
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    out.add(n === 0 ? base : `${base}-${n}`);
  }
  return out;
}

function links(markdown: string): string[] {
  const text = prose(markdown).replace(/`[^`\n]*`/g, '');
  return [...text.matchAll(/\]\(([^)\s]+)(?: "[^"]*")?\)/g)].map((m) => m[1]!);
}

describe('the documentation', () => {
  const files = markdownFiles();

  it('keeps the README under 20 KB, with the rest in docs/', () => {
    const bytes = statSync(join(root, 'README.md')).size;
    expect(bytes, `README.md is ${bytes} bytes: move longer material into docs/*.md`).to.be.below(20_000);
  });

  it('links every page in docs/ from the README', () => {
    const readme = readFileSync(join(root, 'README.md'), 'utf8');
    const pages = readdirSync(join(root, 'docs')).filter((name) => name.endsWith('.md'));
    const unlinked = pages.filter((name) => !readme.includes(`](docs/${name}`));
    expect(unlinked, 'pages in docs/ the README does not link to').to.deep.equal([]);
  });

  for (const file of files) {
    it(`has no broken relative link or anchor in ${file}`, () => {
      const markdown = readFileSync(join(root, file), 'utf8');
      const broken: string[] = [];
      for (const link of links(markdown)) {
        if (/^[a-z][a-z0-9+.-]*:/i.test(link)) continue; // https:, mailto:
        const [path, anchor] = link.split('#', 2) as [string, string | undefined];
        const target = path === '' ? join(root, file) : resolve(dirname(join(root, file)), decodeURIComponent(path));
        if (!existsSync(target)) {
          broken.push(`${link} (no file ${relative(root, target)})`);
          continue;
        }
        if (anchor !== undefined && target.endsWith('.md') && !anchors(readFileSync(target, 'utf8')).has(anchor)) {
          broken.push(`${link} (no heading #${anchor} in ${relative(root, target)})`);
        }
      }
      expect(broken).to.deep.equal([]);
    });
  }
});
