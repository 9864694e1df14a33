import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Agent, fetch as undiciFetch } from 'undici';
import { startStagingEmulators, type StagingEmulators } from '../../example-app/staging-emulators.js';
import { cookieHeaderFrom } from './example-app-instances.js';
import { spawnExampleApp, ROOT, type ExampleAppProcess } from './example-app-process.js';
import { freePort, nginxBinary, startNginx, type RunningNginx } from './nginx.js';
import { opensslInstalled, selfSignedCertificate, type SelfSignedCertificate } from './tls-certificate.js';

/** The nginx configurations of docs/example-app.md, in order: the app's, then the staging emulators'. */
function documentedNginx(): [string, string] {
  const doc = readFileSync(join(ROOT, 'docs/example-app.md'), 'utf8');
  const blocks = [...doc.matchAll(/```nginx\n([\s\S]*?)```/g)].map((m) => m[1]!);
  if (blocks.length < 2) throw new Error('docs/example-app.md should hold two nginx configurations');
  return [blocks[0]!, blocks[1]!];
}

/** Replaces `from` in `text`, which must hold it: the test breaks loudly if the documented sample changes shape. */
function swap(text: string, from: string, to: string): string {
  if (!text.includes(from)) throw new Error(`the documented nginx sample no longer holds ${JSON.stringify(from)}`);
  return text.split(from).join(to);
}

export interface AppProxy {
  /** Name of this copy's upstream (each copy needs its own). */
  name: string;
  httpPort: number;
  httpsPort: number;
  appPorts: number[];
  /** Drop the X-Forwarded-Proto line, as a proxy set up without it. */
  withoutForwardedProto?: boolean;
}

/** The documented app configuration, on test ports and the test certificate. */
export function appProxyConfig(proxy: AppProxy, cert: SelfSignedCertificate): string {
  let text = documentedNginx()[0];
  text = swap(text, 'example_app', proxy.name);
  text = swap(text, '    server 127.0.0.1:3000;\n', proxy.appPorts.map((port) => `    server 127.0.0.1:${port};\n`).join(''));
  text = swap(text, 'listen 80;', `listen 127.0.0.1:${proxy.httpPort};`);
  text = swap(text, 'listen 443 ssl;', `listen 127.0.0.1:${proxy.httpsPort} ssl;`);
  text = withCertificate(text, cert);
  if (proxy.withoutForwardedProto) text = swap(text, '        proxy_set_header X-Forwarded-Proto $scheme;\n', '');
  return text;
}

/** The documented staging configuration: `listen[i]` in front of emulator port `upstream[i]` (UltraCart, UAuth, OIDC). */
export function stagingProxyConfig(
  listen: [number, number, number],
  upstream: [number, number, number],
  cert: SelfSignedCertificate,
): string {
  const servers = documentedNginx()[1].split(/\n(?=server \{)/);
  if (servers.length !== 3) throw new Error('the documented staging sample should hold three server blocks');
  return servers
    .map((server, i) => {
      let text = swap(server, 'listen 443 ssl;', `listen 127.0.0.1:${listen[i]} ssl;`);
      text = swap(text, `proxy_pass http://127.0.0.1:${4001 + i};`, `proxy_pass http://127.0.0.1:${upstream[i]};`);
      return withCertificate(text, cert);
    })
    .join('\n');
}

function withCertificate(text: string, cert: SelfSignedCertificate): string {
  return text
    .replace(/ssl_certificate \S+;/g, `ssl_certificate ${cert.certFile};`)
    .replace(/ssl_certificate_key \S+;/g, `ssl_certificate_key ${cert.keyFile};`);
}

/** Why the deployment tests cannot run here, or undefined when nginx and openssl are both installed. */
export function deploymentToolsMissing(): string | undefined {
  if (!nginxBinary()) return 'nginx is not installed (Debian: apt-get install nginx-light); .ci/run installs it';
  if (!opensslInstalled()) return 'openssl is not installed (Debian: apt-get install openssl)';
  return undefined;
}

/** A temporary directory, its certificate, and the staging emulators behind their own nginx servers. */
export interface DeploymentBench {
  dir: string;
  cert: SelfSignedCertificate;
  emulators: StagingEmulators;
  /** Ports nginx serves the emulators on, in front of them. */
  emulatorProxyPorts: [number, number, number];
  /** The emulators' own ports (loopback, plain http), that nginx proxies to. */
  emulatorPorts: [number, number, number];
  /** Trusts the test certificate, like `NODE_EXTRA_CA_CERTS` in the app. */
  agent: Agent;
  close(): Promise<void>;
}

/**
 * Makes the certificate and starts the staging emulators on public https origins that nginx will
 * serve (`appOrigin` is the app's public origin). nginx itself is started by the caller, once
 * the apps' ports are known, with {@link stagingProxyConfig} among its servers.
 */
export async function deploymentBench(appOrigin: string, extraEnv: Record<string, string> = {}): Promise<DeploymentBench> {
  const dir = mkdtempSync(join(tmpdir(), 'deploy-test-'));
  const cert = selfSignedCertificate(dir);
  const emulatorProxyPorts: [number, number, number] = [await freePort(), await freePort(), await freePort()];
  const emulatorPorts: [number, number, number] = [await freePort(), await freePort(), await freePort()];
  const emulators = await startStagingEmulators({
    APP_ORIGIN: appOrigin,
    ULTRACART_EMULATOR_PORT: String(emulatorPorts[0]),
    UAUTH_EMULATOR_PORT: String(emulatorPorts[1]),
    ULTRAPASSID_EMULATOR_PORT: String(emulatorPorts[2]),
    ULTRACART_EMULATOR_ORIGIN: `https://127.0.0.1:${emulatorProxyPorts[0]}`,
    UAUTH_EMULATOR_ORIGIN: `https://127.0.0.1:${emulatorProxyPorts[1]}`,
    ULTRAPASSID_EMULATOR_ORIGIN: `https://127.0.0.1:${emulatorProxyPorts[2]}`,
    ...extraEnv,
  });
  const agent = new Agent({ connect: { ca: cert.cert } });
  return {
    dir,
    cert,
    emulators,
    emulatorProxyPorts,
    emulatorPorts,
    agent,
    close: async () => {
      await agent.close();
      await emulators.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Starts a production example app on the staging emulators; resolves once it listens, with its port. */
export async function startProductionApp(
  bench: DeploymentBench,
  env: Record<string, string>,
): Promise<{ process: ExampleAppProcess; port: number }> {
  const child = spawnExampleApp({
    NODE_ENV: 'production',
    PORT: '0',
    SESSION_SECRET: 'a-session-secret-for-the-deployment-tests-0123456789',
    NODE_EXTRA_CA_CERTS: bench.cert.certFile,
    ...bench.emulators.appVariables,
    ...env,
  });
  const [, port] = await child.waitFor(/listening on port (\d+)/, 60_000);
  return { process: child, port: Number(port) };
}

export { cookieHeaderFrom, freePort, startNginx, nginxBinary, type RunningNginx };

/** One browser: a cookie jar, no automatic redirects, trusting the test certificate. */
export class Browser {
  cookie = '';
  constructor(private readonly agent: Agent) {}

  async get(url: string, init: { method?: string; body?: URLSearchParams } = {}): Promise<Response> {
    const res = (await undiciFetch(url, {
      method: init.method ?? 'GET',
      redirect: 'manual',
      dispatcher: this.agent,
      headers: { cookie: this.cookie, ...(init.body && { 'content-type': 'application/x-www-form-urlencoded' }) },
      ...(init.body && { body: init.body.toString() }),
    })) as unknown as Response;
    this.cookie = cookieHeaderFrom(res, this.cookie);
    return res;
  }

  /** Follows redirects (at most `max`), resolving to every response on the way. */
  async follow(url: string, max = 8): Promise<Response[]> {
    const seen: Response[] = [];
    let next: string | undefined = url;
    while (next !== undefined && seen.length <= max) {
      const res = await this.get(next);
      seen.push(res);
      const location = res.headers.get('location');
      next = res.status >= 300 && res.status < 400 && location ? new URL(location, next).href : undefined;
      if (next !== undefined) await res.arrayBuffer();
    }
    return seen;
  }
}
