import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { signInAndOut, startQuickstart } from './support/quickstart.js';

/*
 * What a user installs is what is tested: the package is built, packed with `npm pack`, and the
 * tarball installed into scratch projects outside this checkout (so nothing resolves from our own
 * node_modules). There it is used from CommonJS, from ESM and from TypeScript, with Express 5 and
 * with Express 4, and checked by publint and @arethetypeswrong/cli.
 *
 * Every child process runs in the before hook, in parallel where they are independent; the tests
 * only assert on what they printed. Fixtures live in test/package-fixtures/ (the TypeScript ones
 * end in `.fixture` so this project's own typecheck leaves them alone). Only the NodeNext check
 * reads the shipped .d.ts/.d.cts files in full (skipLibCheck off); the Bundler and type-error
 * checks skip library files to keep the run short on a small machine.
 */

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const FIXTURES = join(ROOT, 'test', 'package-fixtures');
const SETUP_TIMEOUT_MS = 180_000;

interface Ran {
  code: number;
  stdout: string;
  stderr: string;
}

interface SignInReport {
  format: 'cjs' | 'esm';
  express: string;
  passport: string;
  user: { id: string; login: string; hasKey: boolean; expiresAt: boolean } | null;
  exports: string[];
  testingExports: string[];
}

// The tsx loader and what `npm test` says about this checkout (its local prefix, its package)
// belong to this process, not to the scratch projects; npm would otherwise install into the checkout.
const childEnv = Object.fromEntries(
  Object.entries(process.env).filter(
    ([name]) => name !== 'NODE_OPTIONS' && name !== 'npm_config_local_prefix' && !/^npm_(package|lifecycle)_/.test(name),
  ),
);

/** Runs a command and resolves with its exit code and output; never rejects, so results can be asserted. */
function run(command: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = childEnv): Promise<Ran> {
  return new Promise((resolve) => {
    execFile(command, args, { cwd, env, timeout: SETUP_TIMEOUT_MS, maxBuffer: 32 * 1024 * 1024 }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
      resolve({ code, stdout: String(stdout), stderr: String(stderr) });
    });
  });
}

async function mustRun(command: string, args: string[], cwd: string): Promise<Ran> {
  const ran = await run(command, args, cwd);
  if (ran.code !== 0) throw new Error(`${command} ${args.join(' ')} exited ${ran.code}\n${ran.stdout}\n${ran.stderr}`);
  return ran;
}

/** A project's own binary, as `npx` would find it, without starting npm for each. */
function bin(project: string, name: string): string {
  return join(project, 'node_modules', '.bin', name);
}

function npmInstall(cwd: string, specs: string[]): Promise<Ran> {
  return mustRun('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', ...specs], cwd);
}

/** The last stdout line of a sign-in script, parsed; the whole output when it did not succeed. */
function report(ran: Ran): SignInReport {
  if (ran.code !== 0) throw new Error(`sign-in script exited ${ran.code}\n${ran.stdout}\n${ran.stderr}`);
  const lines = ran.stdout.trim().split('\n');
  return JSON.parse(lines[lines.length - 1]!) as SignInReport;
}

/** `node server.cjs` in the scratch project, driven through a sign-in and a sign-out, then stopped. */
async function runQuickstart(cwd: string): Promise<Awaited<ReturnType<typeof signInAndOut>> & { output: string }> {
  const { app, browser } = await startQuickstart('server.cjs', {}, { cwd, tsx: false });
  try {
    return { ...(await signInAndOut(browser)), output: app.output() };
  } finally {
    await app.stop();
  }
}

const README = readFileSync(join(ROOT, 'README.md'), 'utf8');

/** The Quickstart's shell commands, line by line, as the README shows them. */
function quickstartCommands(): string[] {
  const section = README.slice(README.indexOf('\n## Quickstart'));
  const block = /^```sh\n([\s\S]*?)^```$/m.exec(section)![1]!;
  return block.trim().split('\n');
}

/** The type-check command the README's Quickstart gives. */
const TYPE_CHECK = 'npx tsc --init && npx tsc --noEmit';

interface Newcomer {
  /** Each command the README lists before the last one (which starts the app), with what it printed. */
  setUp: Array<{ line: string } & Ran>;
  typeCheck: Ran;
  signedIn: (Awaited<ReturnType<typeof signInAndOut>> & { output: string }) | Error;
}

/**
 * A new user: an empty folder beside the clone, the Quickstart's server.ts pasted in, each command
 * of the README's Quickstart run as written (npm told only to prefer its cache), then the README's
 * type-check, then its last command started and signed in through the emulator.
 */
async function newcomer(folder: string): Promise<Newcomer> {
  await mkdir(folder);
  await copyFile(join(ROOT, 'examples/quickstart/server.ts'), join(folder, 'server.ts'));
  const env = { ...childEnv, npm_config_prefer_offline: 'true', npm_config_audit: 'false', npm_config_fund: 'false' };
  const commands = quickstartCommands();
  const setUp: Newcomer['setUp'] = [];
  for (const line of commands.slice(0, -1)) {
    const ran = await run('sh', ['-c', line], folder, env);
    setUp.push({ line, ...ran });
    if (ran.code !== 0) break;
  }
  const typeCheck = await run('sh', ['-c', TYPE_CHECK], folder, env);
  let signedIn: Newcomer['signedIn'];
  try {
    const { app, browser } = await startQuickstart(commands.at(-1)!, {}, { cwd: folder, commandLine: true });
    try {
      signedIn = { ...(await signInAndOut(browser)), output: app.output() };
    } finally {
      await app.stop();
    }
  } catch (err) {
    signedIn = err as Error;
  }
  return { setUp, typeCheck, signedIn };
}

/** Value names an index file re-exports (`type`-only names left out), read from its source text. */
function valueExportsOf(source: string): string[] {
  if (/^export \*/m.test(source)) throw new Error('export * in an index file: list the names so this test can check them');
  const names: string[] = [];
  for (const block of source.matchAll(/^export (type )?\{([^}]*)\}/gm)) {
    if (block[1]) continue;
    for (const entry of block[2]!.split(',').map((part) => part.trim())) {
      if (entry === '' || entry.startsWith('type ')) continue;
      names.push(entry.split(/\s+as\s+/).pop()!);
    }
  }
  for (const declared of source.matchAll(/^export (?:async )?(?:const|let|function|class) (\w+)/gm)) names.push(declared[1]!);
  return names.sort();
}

describe('the packed tarball, installed into a scratch project', function () {
  let work: string;
  let tarball: string;
  let packedFiles: string[];
  let sourceExports: { root: string[]; testing: string[] };
  let cjs: Ran;
  let esm: Ran;
  let cjsExpress4: Ran;
  let typecheck: { nodenext: Ran; bundler: Ran; typeError: Ran; untyped: Ran };
  let publint: Ran;
  let attw: Ran;
  let quickstart: Awaited<ReturnType<typeof signInAndOut>> & { output: string };
  let tscInit59: Ran;
  let newcomerRan: Newcomer;

  before(async function () {
    this.timeout(SETUP_TIMEOUT_MS);
    work = await mkdtemp(join(tmpdir(), 'passport-ultracart-package-'));
    // Laid out as the README's Install says: the clone (where `npm pack` writes the tarball) and the app beside it.
    const clone = join(work, 'passport-ultracart');
    await mkdir(clone);

    // `npm pack` builds dist/ first (the prepack script), as publishing does. Another build may be
    // cleaning dist/ while we pack: pack again if the tarball came out without its entry points.
    for (let attempt = 1; attempt <= 2; attempt++) {
      sourceExports = {
        root: valueExportsOf(await readFile(join(ROOT, 'src', 'index.ts'), 'utf8')),
        testing: valueExportsOf(await readFile(join(ROOT, 'src', 'testing', 'index.ts'), 'utf8')),
      };
      // The prepack build prints to stdout too; npm's JSON report is the part from its opening `[`.
      const stdout = (await mustRun('npm', ['pack', '--json', '--pack-destination', clone], ROOT)).stdout;
      const packed = JSON.parse(stdout.slice(stdout.search(/^\[/m))) as Array<{
        filename: string;
        files: Array<{ path: string }>;
      }>;
      tarball = join(clone, packed[0]!.filename);
      packedFiles = packed[0]!.files.map((file) => file.path).sort();
      if (packedFiles.includes('dist/index.cjs') && packedFiles.includes('dist/testing/index.d.ts')) break;
    }

    // Express 5 and passport 0.7 in the project; Express 4 and passport 0.6 in a sub-folder, whose
    // scripts find passport-ultracart and express-session one level up, as Node resolves them.
    const app = join(work, 'app');
    const app4 = join(app, 'express4');
    await mkdir(app4, { recursive: true });
    await writeFile(join(app, 'package.json'), JSON.stringify({ name: 'scratch-app', private: true, type: 'module' }));
    await writeFile(join(app4, 'package.json'), JSON.stringify({ name: 'scratch-app-express4', private: true }));
    // A project with passport but no @types/passport, beside the others so it cannot find theirs.
    const untyped = join(work, 'untyped');
    await mkdir(untyped);
    await writeFile(join(untyped, 'package.json'), JSON.stringify({ name: 'scratch-untyped', private: true, type: 'module' }));
    const copies: Array<[string, string]> = [
      ['sign-in-app.cjs', join(app, 'sign-in-app.cjs')],
      ['sign-in.cjs', join(app, 'sign-in.cjs')],
      ['sign-in.mjs', join(app, 'sign-in.mjs')],
      ['sign-in-app.cjs', join(app4, 'sign-in-app.cjs')],
      ['sign-in.cjs', join(app4, 'sign-in.cjs')],
      ['types/consumer.ts.fixture', join(app, 'consumer.ts')],
      ['types/consumer.cts.fixture', join(app, 'consumer-cjs.cts')],
      ['types/type-error.ts.fixture', join(app, 'type-error.ts')],
      ['types/tsconfig.nodenext.json', join(app, 'tsconfig.nodenext.json')],
      ['types/tsconfig.bundler.json', join(app, 'tsconfig.bundler.json')],
      ['types/tsconfig.type-error.json', join(app, 'tsconfig.type-error.json')],
      ['types/untyped-passport.ts.fixture', join(untyped, 'untyped-passport.ts')],
      ['types/tsconfig.untyped.json', join(untyped, 'tsconfig.untyped.json')],
    ];
    // The Quickstart, pasted into the project as the README says (the TypeScript one is type-checked below).
    await copyFile(join(ROOT, 'examples/quickstart/server.cjs'), join(app, 'server.cjs'));
    await copyFile(join(ROOT, 'examples/quickstart/server.ts'), join(app, 'server.ts'));
    await Promise.all(copies.map(([from, to]) => copyFile(join(FIXTURES, from), to)));
    // The same server.ts in a folder of its own, `"type": "module"` as the README's `npm pkg set` makes it,
    // type-checked with the settings TypeScript 5.9's `tsc --init` writes.
    const tscInit = join(app, 'tsc-init');
    await mkdir(tscInit);
    await writeFile(join(tscInit, 'package.json'), JSON.stringify({ name: 'scratch-tsc-init', private: true, type: 'module' }));
    await copyFile(join(ROOT, 'examples/quickstart/server.ts'), join(tscInit, 'server.ts'));
    const newcomerRun = newcomer(join(work, 'my-app'));
    await Promise.all([
      npmInstall(app, [
        tarball,
        'express@5',
        'express-session',
        'passport@0.7',
        'typescript@5.9',
        '@types/node@20',
        '@types/express',
        '@types/express-session',
        '@types/passport',
      ]),
      npmInstall(app4, ['express@4', 'passport@0.6']),
      npmInstall(untyped, [tarball, 'passport@0.7', 'typescript@5.9', '@types/node@20']),
    ]);

    [cjs, esm, cjsExpress4, typecheck, publint, attw, quickstart] = await Promise.all([
      run('node', ['sign-in.cjs'], app),
      run('node', ['sign-in.mjs'], app),
      run('node', ['sign-in.cjs'], app4),
      Promise.all([
        run(bin(app, 'tsc'), ['-p', 'tsconfig.nodenext.json'], app),
        run(bin(app, 'tsc'), ['-p', 'tsconfig.bundler.json'], app),
        run(bin(app, 'tsc'), ['-p', 'tsconfig.type-error.json'], app),
        run(bin(untyped, 'tsc'), ['-p', 'tsconfig.untyped.json'], untyped),
      ]).then(([nodenext, bundler, typeError, untypedCheck]) => ({ nodenext, bundler, typeError, untyped: untypedCheck })),
      run(bin(ROOT, 'publint'), ['--strict', tarball], ROOT),
      run(bin(ROOT, 'attw'), [tarball, '--format', 'ascii'], ROOT),
      runQuickstart(app),
    ]);
    tscInit59 = await run(bin(app, 'tsc'), ['--init'], tscInit).then(async (init) =>
      init.code === 0 ? run(bin(app, 'tsc'), ['--noEmit', '-p', '.'], tscInit) : init,
    );
    newcomerRan = await newcomerRun;
  });

  after(async () => {
    if (work) await rm(work, { recursive: true, force: true });
  });

  describe('the tarball', () => {
    it('ships only dist/, README.md, LICENSE and package.json', () => {
      const outside = packedFiles.filter((path) => !/^(dist\/|README\.md$|LICENSE$|package\.json$)/.test(path));
      expect(outside).to.deep.equal([]);
      expect(packedFiles).to.include.members([
        'LICENSE',
        'README.md',
        'package.json',
        'dist/index.js',
        'dist/index.cjs',
        'dist/index.d.ts',
        'dist/index.d.cts',
      ]);
    });

    it('ships both entry points as ESM, CommonJS and their types', () => {
      expect(packedFiles).to.include.members([
        'dist/testing/index.js',
        'dist/testing/index.cjs',
        'dist/testing/index.d.ts',
        'dist/testing/index.d.cts',
      ]);
    });

    it('passes publint --strict', () => {
      expect(publint.code, publint.stdout + publint.stderr).to.equal(0);
    });

    it('passes @arethetypeswrong/cli for node10, node16 from CJS and ESM, and bundler', () => {
      expect(attw.code, attw.stdout + attw.stderr).to.equal(0);
      expect(attw.stdout).to.include('passport-ultracart/testing');
    });
  });

  describe('used from CommonJS with Express 5 and passport 0.7', () => {
    it('signs the user in through the emulator with a callback-style verify', () => {
      const out = report(cjs);
      expect(out.format).to.equal('cjs');
      expect(out.express).to.match(/^5\./);
      expect(out.passport).to.match(/^0\.7\./);
      expect(out.user).to.deep.equal({ id: '1001', login: 'ada', hasKey: true, expiresAt: true });
    });

    it('exports from require() exactly the value names src/index.ts and src/testing/index.ts export', () => {
      const out = report(cjs);
      expect(out.exports).to.deep.equal(sourceExports.root);
      expect(out.testingExports).to.deep.equal(sourceExports.testing);
    });

    it('exports the names issue 2 promises', () => {
      const out = report(cjs);
      expect(out.exports).to.include.members(['UltraCartStrategy', 'UltraCartClient', 'UltraCartApiError']);
      expect(out.testingExports).to.include('startUltraCartEmulator');
    });
  });

  describe('used from ESM with Express 5 and passport 0.7', () => {
    it('signs the user in through the emulator with a Promise-style verify', () => {
      const out = report(esm);
      expect(out.format).to.equal('esm');
      expect(out.express).to.match(/^5\./);
      expect(out.user).to.deep.equal({ id: '1001', login: 'ada', hasKey: true, expiresAt: true });
    });

    it('exposes the same value exports as require() does, for both entry points', () => {
      const out = report(esm);
      const fromRequire = report(cjs);
      expect(out.exports).to.deep.equal(fromRequire.exports);
      expect(out.testingExports).to.deep.equal(fromRequire.testingExports);
    });
  });

  describe('used from CommonJS with Express 4 and passport 0.6', () => {
    it('signs the user in through the emulator', () => {
      const out = report(cjsExpress4);
      expect(out.express).to.match(/^4\./);
      expect(out.passport).to.match(/^0\.6\./);
      expect(out.user).to.deep.equal({ id: '1001', login: 'ada', hasKey: true, expiresAt: true });
    });
  });

  describe('the Quickstart, pasted into the project with the tarball installed', () => {
    it('runs with `node server.cjs` and signs a user in on the emulator and out again', () => {
      expect(quickstart.output).to.contain('No ULTRACART_SIMPLE_KEY: signing in against the UltraCart emulator');
      expect(quickstart.signedIn).to.contain('Signed in as Ada Lovelace.');
      expect(quickstart.signedOut).to.contain('Sign in with UltraCart');
    });
  });

  describe('a new user following the README in an empty folder beside the clone', () => {
    it('finds the tarball the Quickstart installs where the Install commands write it', () => {
      const { name, version } = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { name: string; version: string };
      expect(tarball.endsWith(`/passport-ultracart/${name}-${version}.tgz`), tarball).to.equal(true);
      expect(README).to.include('npm ci && npm pack');
      expect(quickstartCommands().join('\n')).to.include(`npm install ../passport-ultracart/${name}-${version}.tgz `);
    });

    it("runs each of the Quickstart's commands as written without an error", () => {
      expect(newcomerRan.setUp.map(({ line }) => line)).to.deep.equal(quickstartCommands().slice(0, -1));
      for (const { line, code, stdout, stderr } of newcomerRan.setUp) expect(code, `${line}\n${stdout}\n${stderr}`).to.equal(0);
    });

    it(`type-checks server.ts with \`${TYPE_CHECK}\`, as the README says`, () => {
      expect(README).to.include(`\`${TYPE_CHECK}\``);
      const { code, stdout, stderr } = newcomerRan.typeCheck;
      expect(code, stdout + stderr).to.equal(0);
    });

    it("starts with the Quickstart's last command and signs a user in on the emulator and out again", () => {
      const { signedIn } = newcomerRan;
      if (signedIn instanceof Error) throw signedIn;
      expect(signedIn.output).to.contain('No ULTRACART_SIMPLE_KEY: signing in against the UltraCart emulator');
      expect(signedIn.signedIn).to.contain('Signed in as Ada Lovelace.');
      expect(signedIn.signedOut).to.contain('Sign in with UltraCart');
    });
  });

  describe('used from TypeScript', () => {
    it("type-checks the TypeScript Quickstart under TypeScript 5.9's `tsc --init` settings (exactOptionalPropertyTypes, verbatimModuleSyntax)", () => {
      const { code, stdout, stderr } = tscInit59;
      expect(code, stdout + stderr).to.equal(0);
    });

    it('type-checks a consumer of the public API, ESM and CommonJS, and the TypeScript Quickstart, under module NodeNext', () => {
      const { code, stdout, stderr } = typecheck.nodenext;
      expect(code, stdout + stderr).to.equal(0);
    });

    it('type-checks the same consumer under module ESNext with moduleResolution Bundler', () => {
      const { code, stdout, stderr } = typecheck.bundler;
      expect(code, stdout + stderr).to.equal(0);
    });

    it('rejects each misuse in type-error.ts (a number as callbackURL, both or neither credential, lockToIp "yes", an unknown or mistyped returnTo), and nothing else', async () => {
      const { code, stdout } = typecheck.typeError;
      expect(code).to.not.equal(0);
      const fixture = await readFile(join(FIXTURES, 'types', 'type-error.ts.fixture'), 'utf8');
      const marked = fixture
        .split('\n')
        .map((line, index) => (line.trimEnd().endsWith('// error') ? index + 1 : 0))
        .filter((line) => line > 0);
      const reported = [...new Set([...stdout.matchAll(/^type-error\.ts\((\d+),\d+\): error TS\d+/gm)].map((m) => Number(m[1])))];
      expect(marked).to.have.length(6);
      expect(reported, stdout).to.deep.equal(marked);
      expect(stdout).to.include("Type 'number' is not assignable to type 'string'");
    });

    it('type-checks in a project with passport but without @types/passport, skipLibCheck off', () => {
      const { code, stdout, stderr } = typecheck.untyped;
      expect(code, stdout + stderr).to.equal(0);
    });
  });
});
