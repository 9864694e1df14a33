import * as oidc from 'openid-client';
import type { Dispatcher } from 'undici';
import { log } from '../log.js';
import { UltrapassIdError, type UltrapassIdEndpoint } from './errors.js';
import { isSecureOrLoopback } from '../http/loopback.js';
import type { ParsedOptions } from './options.js';
import { providerFetch } from './provider-fetch.js';

/**
 * The provider's configuration for openid-client, obtained on first use rather than at
 * construction (an app must start while its identity provider is down), shared by concurrent
 * callers while it is being fetched, cached once it worked, fetched again after a failure.
 */
export class ProviderConfiguration {
  private config: oidc.Configuration | undefined;
  private inFlight: Promise<oidc.Configuration> | undefined;
  private tokenEndpoint: string | undefined;
  private jwksUri: string | undefined;
  private readonly fetch: ReturnType<typeof providerFetch>;

  constructor(
    private readonly options: ParsedOptions,
    dispatcher: Dispatcher | undefined,
  ) {
    this.fetch = providerFetch({ timeoutMs: options.timeoutMs, dispatcher, endpointOf: (url) => this.endpointOf(url) });
  }

  get(): Promise<oidc.Configuration> {
    if (this.config) return Promise.resolve(this.config);
    this.inFlight ??= this.load().then(
      (config) => {
        this.config = config;
        this.inFlight = undefined;
        return config;
      },
      (err: unknown) => {
        // Not cached: the next sign-in tries again, while concurrent ones share this attempt.
        this.inFlight = undefined;
        throw asProviderError(err, 'discovery');
      },
    );
    return this.inFlight;
  }

  private async load(): Promise<oidc.Configuration> {
    const { issuer, clientId, endpoints } = this.options;
    const insecure = issuer.protocol === 'http:';
    const clientMetadata = { token_endpoint_auth_method: 'none' };
    let config: oidc.Configuration;
    if (endpoints) {
      config = new oidc.Configuration(
        {
          // The issuer as configured, since without discovery it is only ever compared with the ID token's iss.
          issuer: this.issuerString(),
          authorization_endpoint: endpoints.authorization.href,
          token_endpoint: endpoints.token.href,
          jwks_uri: endpoints.jwks.href,
        },
        clientId,
        clientMetadata,
        oidc.None(),
      );
      config[oidc.customFetch] = this.fetch as oidc.CustomFetch;
      if (insecure || [endpoints.authorization, endpoints.token, endpoints.jwks].some((u) => u.protocol === 'http:')) {
        oidc.allowInsecureRequests(config);
      }
    } else {
      log.ultrapassid('discovering %s', issuer.origin);
      config = await oidc.discovery(issuer, clientId, clientMetadata, oidc.None(), {
        [oidc.customFetch]: this.fetch as oidc.CustomFetch,
        ...(insecure && { execute: [oidc.allowInsecureRequests] }),
      });
      checkDiscovered(config.serverMetadata());
    }
    // openid-client trusts an ID token from the token endpoint by TLS alone (OIDC Core 3.1.3.7);
    // this makes it check the signature against the key set too, as loopback http has no TLS to rely on.
    oidc.enableNonRepudiationChecks(config);
    const metadata = config.serverMetadata();
    this.tokenEndpoint = metadata.token_endpoint;
    this.jwksUri = metadata.jwks_uri;
    return config;
  }

  /** `https://auth.ultrapassid.com` rather than the URL parser's `https://auth.ultrapassid.com/`. */
  private issuerString(): string {
    const { issuer } = this.options;
    return issuer.pathname === '/' ? issuer.origin : issuer.href;
  }

  private endpointOf(url: string): UltrapassIdEndpoint {
    if (url === this.tokenEndpoint) return 'token';
    if (url === this.jwksUri) return 'jwks';
    const endpoints = this.options.endpoints;
    if (endpoints && url === endpoints.token.href) return 'token';
    if (endpoints && url === endpoints.jwks.href) return 'jwks';
    return 'discovery';
  }
}

/** Every endpoint the strategy will use must be there, and https (http only on loopback hosts). */
function checkDiscovered(metadata: oidc.ServerMetadata): void {
  for (const name of ['authorization_endpoint', 'token_endpoint', 'jwks_uri'] as const) {
    const value = metadata[name];
    let url: URL | undefined;
    try {
      url = typeof value === 'string' ? new URL(value) : undefined;
    } catch {
      url = undefined;
    }
    if (!url) throw discoveryError(`the discovery document has no usable ${name}`);
    if (!isSecureOrLoopback(url)) {
      throw discoveryError(`the discovery document's ${name} is not https`);
    }
    if (url.username || url.password) throw discoveryError(`the discovery document's ${name} carries userinfo`);
  }
  const methods = metadata.code_challenge_methods_supported;
  if (Array.isArray(methods) && !methods.includes('S256')) {
    throw discoveryError('the provider does not support PKCE with S256 (code_challenge_methods_supported)');
  }
}

function discoveryError(message: string): UltrapassIdError {
  return new UltrapassIdError(`UltrapassId discovery: ${message}`, {
    code: 'ULTRAPASSID_BAD_RESPONSE',
    endpoint: 'discovery',
    status: 502,
  });
}

/** Our own error, found where openid-client wrapped it (as `cause`), or openid-client's turned into one. */
export function findProviderError(err: unknown): UltrapassIdError | undefined {
  let current: unknown = err;
  for (let depth = 0; depth < 5 && current; depth++) {
    if (current instanceof UltrapassIdError) return current;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

function asProviderError(err: unknown, endpoint: UltrapassIdEndpoint): UltrapassIdError {
  const own = findProviderError(err);
  if (own) return own;
  // openid-client's messages name the check that failed and quote no secret: discovery carries none.
  const why = err instanceof Error ? err.message : 'unexpected failure';
  if (isIssuerMismatch(err)) {
    // The provider answered, as another issuer than the one configured: a set-up fault, not a bad answer.
    return new UltrapassIdError(`UltrapassId discovery: ${why} (check the issuer option)`, {
      code: 'ULTRAPASSID_CONFIGURATION',
      endpoint,
      status: 500,
      cause: err,
    });
  }
  return new UltrapassIdError(`UltrapassId ${endpoint === 'discovery' ? 'discovery' : endpoint}: ${why}`, {
    code: 'ULTRAPASSID_BAD_RESPONSE',
    endpoint,
    status: 502,
    cause: err,
  });
}

function isIssuerMismatch(err: unknown): boolean {
  return (
    err instanceof oidc.ClientError &&
    err.code === 'OAUTH_JSON_ATTRIBUTE_COMPARISON_FAILED' &&
    (err.cause as { attribute?: unknown } | undefined)?.attribute === 'issuer'
  );
}
