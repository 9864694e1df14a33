import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface SelfSignedCertificate {
  certFile: string;
  keyFile: string;
  cert: string;
  key: string;
}

/** Whether the `openssl` command is installed. */
export function opensslInstalled(): boolean {
  return spawnSync('openssl', ['version'], { encoding: 'utf8' }).status === 0;
}

/**
 * A self-signed certificate for 127.0.0.1 and localhost, made with `openssl` in `dir` (a P-256
 * key: quick to make). It is its own CA, so `NODE_EXTRA_CA_CERTS=<certFile>` trusts it.
 */
export function selfSignedCertificate(dir: string): SelfSignedCertificate {
  const certFile = join(dir, 'proxy.crt');
  const keyFile = join(dir, 'proxy.key');
  const made = spawnSync(
    'openssl',
    [
      'req',
      '-x509',
      '-nodes',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-days',
      '2',
      '-subj',
      '/CN=127.0.0.1',
      '-addext',
      'subjectAltName=IP:127.0.0.1,DNS:localhost',
      '-addext',
      'basicConstraints=critical,CA:TRUE',
      '-keyout',
      keyFile,
      '-out',
      certFile,
    ],
    { encoding: 'utf8' },
  );
  if (made.status !== 0) throw new Error(`openssl could not make a certificate: ${made.stderr}`);
  return { certFile, keyFile, cert: readFileSync(certFile, 'utf8'), key: readFileSync(keyFile, 'utf8') };
}
