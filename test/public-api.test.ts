import { expect } from 'chai';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

/*
 * The public entry holds what users need before 1.0, each name documented: every export of
 * src/index.ts must carry TSDoc, and none may be a development-host constant.
 */

const INDEX = fileURLToPath(new URL('../src/index.ts', import.meta.url));

function publicExports(): Array<{ name: string; documented: boolean }> {
  const program = ts.createProgram([INDEX], {
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    strict: true,
  });
  const checker = program.getTypeChecker();
  const moduleSymbol = checker.getSymbolAtLocation(program.getSourceFile(INDEX)!)!;
  return checker.getExportsOfModule(moduleSymbol).map((exported) => {
    const symbol = exported.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(exported) : exported;
    const documented = (symbol.declarations ?? []).some((declaration) => ts.getJSDocCommentsAndTags(declaration).length > 0);
    return { name: exported.getName(), documented };
  });
}

describe('the public entry point, src/index.ts', function () {
  this.timeout(60_000);
  let exports: Array<{ name: string; documented: boolean }>;
  before(() => {
    exports = publicExports();
  });

  it('documents every export with TSDoc', () => {
    expect(exports.filter((e) => !e.documented).map((e) => e.name)).to.deep.equal([]);
  });

  it('exports no development-host or internal constants', () => {
    const names = exports.map((e) => e.name);
    for (const internal of [
      'UAUTH_DEFAULT_BASE_URL',
      'UAUTH_DOCUMENTED_BASE_URLS',
      'DEFAULT_BASE_URL',
      'API_VERSION',
      'UAUTH_DEFAULT_API_KEY_HEADER',
    ]) {
      expect(names).to.not.include(internal);
    }
  });

  it('exports the classes users build and the errors they check', () => {
    expect(exports.map((e) => e.name)).to.include.members([
      'UltraCartStrategy',
      'UltraCartClient',
      'uauth',
      'UAuthClient',
      'SessionStateStore',
      'CookieStateStore',
      'PassportUltraCartError',
      'UltraCartApiError',
      'UAuthApiError',
      'SessionRequiredError',
      'UltrapassIdStrategy',
      'VerifyTimeoutError',
      'readFailureReason',
      'UltraCartFailureMessages',
      'uauthReturnCheck',
    ]);
  });

  it('keeps the pre-1.0 names working, marked deprecated', () => {
    const names = exports.map((e) => e.name);
    expect(names).to.include.members(['FailureMessages', 'FailureReason', 'StrategyOptions', 'VerifyFunction']);
  });

  it("hides the in-memory ledger's internal shortcut and the test fixtures", async () => {
    const { MemoryUsedStateLedger } = await import('../src/index.js');
    expect('claimNow' in new MemoryUsedStateLedger()).to.equal(false);
    const testing = await import('../src/testing/index.js');
    expect(Object.keys(testing)).to.not.include('heavyUltraCartUser');
  });
});
