import { accessSync, constants, statSync } from 'node:fs';
import { delimiter, join } from 'node:path';

/** Debian's package installs `/usr/bin/chromium`; Ubuntu and older Debian name it `chromium-browser`. */
const KNOWN_PATHS = ['/usr/bin/chromium', '/usr/bin/chromium-browser'];
const NAMES = ['chromium', 'chromium-browser'];

/** What to tell someone who has no Chromium: we never download a browser. */
export const INSTALL_HINT = [
  'Chromium was not found (looked for /usr/bin/chromium, /usr/bin/chromium-browser and chromium or chromium-browser on PATH).',
  'The browser test drives the system Chromium through playwright-core and never downloads a browser. Install it with:',
  '  sudo apt-get install chromium        (Debian; on Ubuntu: sudo apt-get install chromium-browser)',
  'then run npm run test:e2e again.',
].join('\n');

/** The path of an installed Chromium, or undefined when there is none. */
export function findChromium(path = process.env.PATH ?? ''): string | undefined {
  const onPath = path
    .split(delimiter)
    .filter((dir) => dir !== '')
    .flatMap((dir) => NAMES.map((name) => join(dir, name)));
  return [...KNOWN_PATHS, ...onPath].find(isExecutableFile);
}

function isExecutableFile(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return statSync(file).isFile();
  } catch {
    return false;
  }
}
