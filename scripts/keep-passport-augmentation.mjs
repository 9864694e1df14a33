// The published declarations augment @types/passport's AuthenticateOptions (src/passport-augmentation.ts).
// A project that has passport without @types/passport would fail to compile on that augmentation
// (TS2665, an untyped module cannot be augmented) unless it is marked to be ignored there; the
// declaration bundler drops comments, so the directive is put back here, after every build.
import { readFile, writeFile } from 'node:fs/promises';

const AUGMENTATION = "declare module 'passport' {";
const DIRECTIVE = '// @ts-ignore -- augments @types/passport when it is installed; without it there is nothing to augment.';

for (const file of ['dist/index.d.ts', 'dist/index.d.cts']) {
  const text = await readFile(file, 'utf8');
  const at = text.indexOf(AUGMENTATION);
  if (at === -1) throw new Error(`${file}: the passport augmentation is missing`);
  if (text.slice(0, at).trimEnd().endsWith(DIRECTIVE)) continue;
  await writeFile(file, `${text.slice(0, at)}${DIRECTIVE}\n${text.slice(at)}`);
}
