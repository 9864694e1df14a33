import { parseJson } from '../http/transport.js';

/*
 * UltrapassId's document disagrees with itself about its bodies: the examples print a flat object
 * JSON-encoded as a string, the schemas nest the same fields one level down. Nothing says which the
 * live API sends, so every reader here accepts all of them and hands back one shape.
 */

/** What `POST /uauth/session` told us, before any check of the URL itself. */
export interface CreateSessionBody {
  getSessionUrl: unknown;
}

/** `GET /uauth/session/{sessionId}` in the one shape callers see. */
export interface CachedWorkflowSession {
  /** The workflow's key, always a plain string (a `{guid, value}` object becomes its `value`). */
  workflowKey: string;
  /** The identity policy the workflow runs, e.g. `B2C_1A_UUID_REGISTRATION`; null when absent. */
  policyId: string | null;
  /** Where UltrapassId sends the browser when the workflow ends; null when absent. */
  clientRedirectUrl: string | null;
}

/**
 * Reads a cache-session response: `{getSessionUrl}`, `{workflowInstanceSessionDto: {getSessionUrl}}`,
 * either of them JSON-encoded as a string, and the same names in snake_case. Returns undefined for anything that is not an object.
 */
export function readCreateSessionBody(body: unknown): CreateSessionBody | undefined {
  const outer = asRecord(body);
  if (!outer) return undefined;
  const inner = asRecord(field(outer, 'workflowInstanceSessionDto'));
  return { getSessionUrl: field(inner ?? outer, 'getSessionUrl') };
}

/**
 * Reads a cached-session response: `{workflowKey, policyId, clientRedirectUrl}`,
 * `{workflowInstanceSessionResponse: {...}}`, or either JSON-encoded as a string, with `workflowKey`
 * as a string or as `{guid, value}`. Returns undefined when no workflow key can be found.
 */
export function readCachedSessionBody(body: unknown): CachedWorkflowSession | undefined {
  const outer = asRecord(body);
  if (!outer) return undefined;
  const record = asRecord(field(outer, 'workflowInstanceSessionResponse')) ?? outer;
  const workflowKey = workflowKeyOf(field(record, 'workflowKey'));
  if (workflowKey === undefined) return undefined;
  return {
    workflowKey,
    policyId: nonEmptyString(field(record, 'policyId')) ?? null,
    clientRedirectUrl: nonEmptyString(field(record, 'clientRedirectUrl')) ?? null,
  };
}

function workflowKeyOf(value: unknown): string | undefined {
  const direct = nonEmptyString(value);
  if (direct !== undefined) return direct;
  // The schema's `workflowKey` object: `value` is the key; what `guid` identifies is not documented.
  const record = asRecord(value);
  return record ? nonEmptyString(field(record, 'value')) : undefined;
}

/** An object, or the object a JSON-encoded string holds. Arrays and other values are not records. */
function asRecord(value: unknown): Record<string, unknown> | undefined {
  const decoded = typeof value === 'string' ? parseJson(value) : value;
  if (!decoded || typeof decoded !== 'object' || Array.isArray(decoded)) return undefined;
  return decoded as Record<string, unknown>;
}

/**
 * An own property by its documented camelCase name, or failing that in any casing or in
 * snake_case (`get_session_url`): .NET services switch to PascalCase with one serializer setting,
 * UltrapassId moved its other API to snake_case, and nothing documents which this one sends.
 */
function field(record: Record<string, unknown>, name: string): unknown {
  if (Object.hasOwn(record, name)) return record[name];
  const wanted = name.toLowerCase();
  const key = Object.keys(record).find((k) => k.replace(/_/g, '').toLowerCase() === wanted);
  return key === undefined ? undefined : record[key];
}

function nonEmptyString(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}
