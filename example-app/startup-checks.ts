import type { Config } from './config.js';

const LOOPBACK_ADDRESS = /^(?:127(?:\.\d{1,3}){3}|::1|::ffff:127(?:\.\d{1,3}){3})$/;
const LOOPBACK_NAME = /^(?:localhost|127(?:\.\d{1,3}){3}|\[::1\])$/;

/**
 * Settings that start but will likely fail in use, as one warning line each: the mistakes
 * `loadConfig` cannot refuse because a rare set-up needs them. Run once, after the app listens on
 * `port` (the one it got, for `PORT=0`).
 */
export function startupWarnings(config: Config, port: number): string[] {
  const warnings: string[] = [];
  const loopbackBound = LOOPBACK_ADDRESS.test(config.bindAddress);
  if (!loopbackBound) {
    warnings.push(
      typeof config.trustProxy === 'number' && config.trustProxy > 0
        ? `BIND_ADDRESS=${config.bindAddress} with TRUST_PROXY=${config.trustProxy} (a hop count): the app believes the X-Forwarded-For and X-Forwarded-Proto of whoever connects, so anyone who reaches port ${port} directly can forge their address (and slip the rate limit) and pass for https. Set TRUST_PROXY to the proxy's address instead, and let only the proxy reach port ${port}.`
        : `BIND_ADDRESS=${config.bindAddress}: the app port ${port} must be reachable from your proxy only (firewall it); the app speaks plain http.`,
    );
  }
  if (config.production && !config.redis) {
    warnings.push(
      'REDIS_URL is not set: sessions live in this instance’s memory. Run a single instance, or give every instance the same REDIS_URL and SESSION_SECRET: behind a load balancer, a sign-in finished on one instance is unknown to the others (ULTRACART_STATE_STORE=cookie does not change that).',
    );
  }
  warnings.push(...callbackWarnings(config, port));
  return warnings;
}

/** What the browser is sent back to must be where users reach the app: its host and its port. */
function callbackWarnings(config: Config, port: number): string[] {
  const warnings: string[] = [];
  const callbacks = [
    ['ULTRACART_CALLBACK_URL', config.ultracart?.callbackURL],
    ['ULTRAPASSID_CALLBACK_URL', config.oidc?.callbackURL],
  ].filter((entry): entry is [string, string] => entry[1] !== undefined);
  const behindProxy = config.trustProxy !== undefined && config.trustProxy !== 0;
  for (const [variable, value] of callbacks) {
    const url = new URL(value);
    const callbackPort = effectivePort(url);
    if (behindProxy && url.protocol === 'https:' && callbackPort === port && port !== 443) {
      warnings.push(
        `${variable} names port ${port}, the port the app itself listens on over plain http: the vendor sends browsers to that URL, so it must name the TLS proxy's public port (none for 443).`,
      );
    }
    if (!behindProxy && LOOPBACK_NAME.test(url.hostname) && url.protocol === 'http:' && port !== 0 && callbackPort !== port) {
      warnings.push(
        `${variable} names port ${callbackPort}, but the app listens on port ${port} with no proxy in front: the vendor will send browsers to a port nothing answers on.`,
      );
    }
  }
  if (callbacks.length === 2) {
    const [[firstName, first], [secondName, second]] = callbacks as [[string, string], [string, string]];
    const a = new URL(first);
    const b = new URL(second);
    const bothLoopback = LOOPBACK_NAME.test(a.hostname) && LOOPBACK_NAME.test(b.hostname);
    if ((a.hostname !== b.hostname && !bothLoopback) || effectivePort(a) !== effectivePort(b)) {
      warnings.push(
        `${firstName} is on ${a.host} but ${secondName} is on ${b.host}: both must be the address users see, or the browser comes back to a host (or port) that does not hold its cookies.`,
      );
    }
  }
  return warnings;
}

function effectivePort(url: URL): number {
  if (url.port !== '') return Number(url.port);
  return url.protocol === 'https:' ? 443 : 80;
}
