import { randomBytes, randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  sendHtml,
  applyFault,
  FaultQueue,
  readBody,
  startServer,
  type EmulatorExposure,
  type EmulatorHostname,
  type Fault,
  type RecordedCall,
  type RunningServer,
  type VendorErrors,
  exposureOf,
} from './server-kit.js';
import { addPending, maxPendingOption } from './pending-entries.js';
import { uauthPage } from './uauth-page.js';

/** `createSession` is `POST /api/uauth/session`, `getSession` is `GET /api/uauth/session/{id}`, `page` the browser pages. */
export type UAuthEmulatorEndpoint = 'createSession' | 'getSession' | 'page';

/**
 * The body shapes UltrapassId's document shows: `flat` `{getSessionUrl}`, `nested`
 * `{workflowInstanceSessionDto: {getSessionUrl}}` (and, for `getSession`,
 * `{workflowInstanceSessionResponse: {workflowKey: {guid, value}, ...}}`), and either one
 * JSON-encoded as a string; and `snake`, the flat shape in snake_case (`get_session_url`), which the
 * document does not show but UltrapassId's other API moved to (inferred).
 */
export type UAuthResponseShape = 'flat' | 'nested' | 'flat-string' | 'nested-string' | 'snake';

/** A workflow configured in the emulated organization. */
export interface UAuthEmulatorWorkflow {
  /** A UUID. */
  workflowKey: string;
  /** Default `B2C_1A_UUID_REGISTRATION`, the documented example. */
  policyId?: string;
  /** Where the page sends the browser on completion. Default: the emulator option `clientRedirectUrl`. */
  clientRedirectUrl?: string;
}

/** With `publicOrigin` and `tls` (from {@link EmulatorExposure}) it stands in for the vendor behind a proxy or over TLS. */
export interface UAuthEmulatorOptions extends EmulatorExposure {
  /** Port to listen on; default a free one. The server binds 127.0.0.1 only. */
  port?: number;
  /**
   * The host name in the emulator's URLs (`url`, `origin`, the login page). Default `127.0.0.1`;
   * `localhost` puts the emulator on another site than an app served on 127.0.0.1, as the real
   * vendor is, so cross-site cookie rules (SameSite) apply to the return from its login page.
   */
  hostname?: EmulatorHostname;
  /** The organization key accepted. Default `emulator-organization-key`. */
  organizationKey?: string;
  /** Header names the key is accepted in. Default both `x-upid-organization-key` and `x-upid-api-key`. */
  apiKeyHeaders?: string[];
  /** The organization's workflows. Default one, with key `322dbc7a-0a8a-452a-ba6d-c3e893f29ecc`. */
  workflows?: UAuthEmulatorWorkflow[];
  /**
   * Where a completed workflow sends the browser when the workflow names no `clientRedirectUrl`:
   * your app's return route. Default: a page on the emulator saying the workflow is done.
   */
  clientRedirectUrl?: string;
  /** The body shape of successful API answers. Default `flat`. */
  responseShape?: UAuthResponseShape;
  /** How many recorded calls to keep (the oldest go first). Default 10 000. */
  maxRecordedCalls?: number;
  /** How many workflow sessions to keep at most (the oldest go first); each lasts an hour. Default 10 000. */
  maxPending?: number;
}

export interface UAuthEmulator {
  /** The API base URL to pass as `baseURL`, e.g. `http://127.0.0.1:40123/api`. */
  url: string;
  /** The emulator's origin, where the workflow page lives. */
  origin: string;
  /** The organization key it accepts. */
  organizationKey: string;
  /** Every request received, oldest first. */
  calls: RecordedCall<UAuthEmulatorEndpoint>[];
  /** How many requests reached `endpoint`. */
  count(endpoint: UAuthEmulatorEndpoint): number;
  /** Makes the next `times` requests to `endpoint` misbehave (one-shot by default). */
  inject(endpoint: UAuthEmulatorEndpoint, fault: Fault, times?: number): void;
  /** The body shape of successful API answers from now on. */
  setResponseShape(shape: UAuthResponseShape): void;
  /**
   * Completes a workflow as a user would by pressing "Complete verification"; resolves to the
   * workflow's `clientRedirectUrl` with `?sessionId=` appended.
   */
  complete(getSessionUrl: string): Promise<string>;
  /** Forgets recorded calls and pending faults, and restores the starting response shape. */
  reset(): void;
  /** How many workflow sessions it holds, expired ones not yet dropped included. */
  pending(): { sessions: number };
  close(): Promise<void>;
}

export const DEFAULT_UAUTH_WORKFLOW_KEY = '322dbc7a-0a8a-452a-ba6d-c3e893f29ecc';
const DEFAULT_POLICY_ID = 'B2C_1A_UUID_REGISTRATION';
const API_PREFIX = '/api';
const SESSION_PATH = `${API_PREFIX}/uauth/session`;
/** How long a workflow session can be read back or completed. UltrapassId does not document its own. */
const SESSION_LIFETIME_MS = 60 * 60 * 1000;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The documented plain-string errors. */
const MESSAGES: Record<number, string> = {
  400: 'Request not valid',
  401: 'Unauthorized',
  409: 'Workflow not valid for this Organization',
  424: 'Dependent Workflow exception',
  429: 'Too many requests',
  500: 'Internal server error',
  503: 'Service unavailable',
};

/** Injected errors read exactly like the emulator's own: the bare message as `text/plain`. */
const UAUTH_ERRORS: VendorErrors = {
  body: (status) => MESSAGES[status] ?? `Error ${status}`,
  headers: () => ({ 'content-type': 'text/plain; charset=utf-8' }),
};

interface Workflow {
  workflowKey: string;
  /** The `guid` of the schema's `{guid, value}` form. What it identifies is undocumented; any stable UUID. */
  guid: string;
  policyId: string;
  clientRedirectUrl: string | undefined;
}

/**
 * Starts an UltrapassId UAuth Client API emulator: both documented endpoints with their status
 * codes and plain-string errors, each documented response shape, a workflow page at the returned
 * `getSessionUrl` that completes and sends the browser on to the workflow's `clientRedirectUrl`,
 * and one-shot fault injection per endpoint.
 *
 * What the real UltrapassId appends to `clientRedirectUrl` is not documented; the emulator appends
 * `?sessionId=<id>`, so do not build production code on that parameter alone.
 *
 * @example
 * const emulator = await startUAuthEmulator({ clientRedirectUrl: 'http://localhost:3000/verify/done' });
 * app.post('/verify', uauth({ baseURL: emulator.url, organizationKey: emulator.organizationKey, workflowKey }));
 */
export async function startUAuthEmulator(options: UAuthEmulatorOptions = {}): Promise<UAuthEmulator> {
  const organizationKey = options.organizationKey ?? 'emulator-organization-key';
  const keyHeaders = (options.apiKeyHeaders ?? ['x-upid-organization-key', 'x-upid-api-key']).map((h) => h.toLowerCase());
  const workflows = new Map<string, Workflow>();
  for (const w of options.workflows ?? [{ workflowKey: DEFAULT_UAUTH_WORKFLOW_KEY }]) {
    if (!UUID.test(w.workflowKey)) throw new TypeError('startUAuthEmulator: every workflowKey must be a UUID');
    workflows.set(w.workflowKey.toLowerCase(), {
      workflowKey: w.workflowKey,
      guid: randomUUID(),
      policyId: w.policyId ?? DEFAULT_POLICY_ID,
      clientRedirectUrl: w.clientRedirectUrl ?? options.clientRedirectUrl,
    });
  }
  const startShape = options.responseShape ?? 'flat';
  let shape = startShape;
  const calls: RecordedCall<UAuthEmulatorEndpoint>[] = [];
  const faults = new FaultQueue<UAuthEmulatorEndpoint>();
  const sessions = new Map<string, { workflow: Workflow; expiresAt: number }>();
  const maxRecordedCalls = options.maxRecordedCalls ?? 10_000;
  const maxPending = maxPendingOption('startUAuthEmulator', options.maxPending);
  const sessionOf = (sessionId: string): Workflow | undefined => {
    const entry = sessions.get(sessionId);
    return entry && entry.expiresAt > Date.now() ? entry.workflow : undefined;
  };

  function keyOk(req: IncomingMessage): boolean {
    return keyHeaders.some((name) => req.headers[name] === organizationKey);
  }

  function completionTarget(sessionId: string): string | undefined {
    const workflow = sessionOf(sessionId);
    if (!workflow) return undefined;
    const url = new URL(workflow.clientRedirectUrl ?? `${server.origin}/uauth/done`);
    url.searchParams.set('sessionId', sessionId);
    return url.href;
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', server.origin);
    const endpoint = routeOf(req.method, url.pathname);
    const body = await readBody(req);
    if (calls.length >= maxRecordedCalls) calls.splice(0, Math.ceil(maxRecordedCalls / 10));
    calls.push({
      endpoint: endpoint ?? 'unknown',
      method: req.method ?? '',
      path: url.pathname + url.search,
      headers: { ...req.headers },
      body,
    });
    if (!endpoint) return sendText(res, 404, 'Not found');

    const fault = faults.take(endpoint);
    if (fault && (await applyFault(res, fault, server, UAUTH_ERRORS))) return;
    if (endpoint === 'page') return handlePage(req, res, url, body);
    if (!keyOk(req)) return sendText(res, 401, MESSAGES[401]!);

    if (endpoint === 'createSession') {
      const workflowKey = workflowKeyOf(body);
      if (workflowKey === undefined) return sendText(res, 400, MESSAGES[400]!);
      const workflow = workflows.get(workflowKey.toLowerCase());
      if (!workflow) return sendText(res, 409, MESSAGES[409]!);
      const sessionId = randomBytes(16).toString('hex');
      addPending(sessions, sessionId, { workflow, expiresAt: Date.now() + SESSION_LIFETIME_MS }, maxPending);
      const getSessionUrl = `${server.origin}/uauth?sessionId=${sessionId}`;
      return sendShaped(res, 201, shape, { getSessionUrl }, { workflowInstanceSessionDto: { getSessionUrl } });
    }

    const workflow = sessionOf(safeDecode(url.pathname.slice(SESSION_PATH.length + 1)));
    if (!workflow) return sendText(res, 400, MESSAGES[400]!);
    const { workflowKey, guid, policyId } = workflow;
    const clientRedirectUrl = workflow.clientRedirectUrl ?? `${server.origin}/uauth/done`;
    return sendShaped(
      res,
      200,
      shape,
      { workflowKey, policyId, clientRedirectUrl },
      { workflowInstanceSessionResponse: { workflowKey: { guid, value: workflowKey }, policyId, clientRedirectUrl } },
    );
  }

  function handlePage(req: IncomingMessage, res: ServerResponse, url: URL, body: string): void {
    if (url.pathname === '/uauth/done') return sendHtml(res, 200, uauthPage({ kind: 'done' }));
    if (req.method === 'GET') {
      const sessionId = url.searchParams.get('sessionId') ?? '';
      const workflow = sessionOf(sessionId);
      if (!workflow) return sendHtml(res, 410, uauthPage({ kind: 'unknown' }));
      return sendHtml(res, 200, uauthPage({ kind: 'workflow', sessionId, workflowKey: workflow.workflowKey, policyId: workflow.policyId }));
    }
    const target = completionTarget(new URLSearchParams(body).get('sessionId') ?? '');
    if (!target) return sendHtml(res, 410, uauthPage({ kind: 'unknown' }));
    res.writeHead(303, { location: target, 'cache-control': 'no-store', 'referrer-policy': 'no-referrer' }).end();
  }

  // The handlers above read `server` only once requests arrive, after this assignment.
  const server: RunningServer = await startServer(options.port, (req, res) => handle(req, res), options.hostname, {
    ...exposureOf(options),
    owner: 'startUAuthEmulator',
  });

  return {
    url: `${server.origin}${API_PREFIX}`,
    origin: server.origin,
    organizationKey,
    calls,
    count: (endpoint) => calls.filter((call) => call.endpoint === endpoint).length,
    inject: (endpoint, fault, times = 1) => faults.add(endpoint, fault, times),
    setResponseShape: (next) => {
      shape = next;
    },
    async complete(getSessionUrl) {
      calls.push({ endpoint: 'page', method: 'POST', path: '/uauth', headers: {}, body: '' });
      const target = completionTarget(new URL(getSessionUrl).searchParams.get('sessionId') ?? '');
      if (!target) throw new Error('emulator: no such workflow session');
      return target;
    },
    reset() {
      calls.length = 0;
      faults.clear();
      shape = startShape;
    },
    pending: () => ({ sessions: sessions.size }),
    close: () => server.close(),
  };
}

function routeOf(method: string | undefined, path: string): UAuthEmulatorEndpoint | undefined {
  if ((path === '/uauth' && (method === 'GET' || method === 'POST')) || (path === '/uauth/done' && method === 'GET')) return 'page';
  if (method === 'POST' && path === SESSION_PATH) return 'createSession';
  if (
    method === 'GET' &&
    path.startsWith(`${SESSION_PATH}/`) &&
    path.length > SESSION_PATH.length + 1 &&
    !path.slice(SESSION_PATH.length + 1).includes('/')
  ) {
    return 'getSession';
  }
  return undefined;
}

/** `{workflowKey}`, also accepted JSON-encoded as a string the way the document's body example shows it. */
function workflowKeyOf(body: string): string | undefined {
  let value: unknown;
  try {
    value = JSON.parse(body);
    if (typeof value === 'string') value = JSON.parse(value);
  } catch {
    return undefined;
  }
  if (!value || typeof value !== 'object' || Array.isArray(value)) return undefined;
  const key = (value as { workflowKey?: unknown }).workflowKey;
  return typeof key === 'string' && UUID.test(key) ? key : undefined;
}

function safeDecode(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return '';
  }
}

function sendShaped(res: ServerResponse, status: number, shape: UAuthResponseShape, flat: object, nested: object): void {
  const value =
    shape === 'snake'
      ? Object.fromEntries(Object.entries(flat).map(([k, v]) => [k.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`), v]))
      : shape === 'flat' || shape === 'flat-string'
        ? flat
        : nested;
  const json = JSON.stringify(value);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' });
  res.end(shape.endsWith('-string') ? JSON.stringify(json) : json);
}

/** Errors as an ASP.NET action returning a string sends them: the bare text as `text/plain`. */
function sendText(res: ServerResponse, status: number, message: string): void {
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8' });
  res.end(message);
}
