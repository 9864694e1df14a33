/**
 * One small, declarative option checker for every constructor of the package. Each constructor
 * declares its options once, as a schema; `readOptions` checks them all at construction and
 * returns what to use. Messages name the class or function the user called and the option, say
 * what was expected and what was given (never the value of a secret option), and refuse unknown
 * keys with a "did you mean" for near misses, so a typo cannot silently disable a control.
 *
 * An optional key whose value is `undefined` counts as absent, and so does `''` for a required
 * one, so options can be taken straight from `process.env`. Only the object's own properties are read: a property planted on
 * `Object.prototype` (prototype pollution) cannot become a baseURL or a key.
 */

/** Throws the TypeError for the option being read; `must` completes "the X option must …" (`be a boolean`). */
export type Fail = (must: string) => never;

/** How one option is checked. */
export interface Rule<T> {
  /** Absent (or `undefined`) is an error. */
  readonly required: boolean;
  /** The value is never quoted in a message. */
  readonly secret: boolean;
  /** Said after "X requires a Y option" when a required option is absent: what to set it to. */
  readonly missing?: string | undefined;
  /** Returns the value to use (possibly normalised) or calls `fail`. Not called for an absent optional key. */
  read(value: unknown, fail: Fail): T;
}

export type Schema = Readonly<Record<string, Rule<unknown>>>;

/** What `readOptions` returns: each rule's value, `undefined` for an absent optional key. */
export type OptionValues<S extends Schema> = {
  [K in keyof S]: S[K] extends Rule<infer T> ? (S[K]['required'] extends true ? T : T | undefined) : never;
};

interface Flags<Required extends boolean> {
  required?: Required;
  secret?: boolean;
  /** For a required option: what to set it to, said after "X requires a Y option: ". */
  missing?: string;
}

/** A rule from a reader function. */
export function rule<T, Required extends boolean = false>(
  read: (value: unknown, fail: Fail) => T,
  flags: Flags<Required> = {},
): Rule<T> & { readonly required: Required } {
  return { required: (flags.required ?? false) as Required, secret: flags.secret ?? false, missing: flags.missing, read };
}

/** Any string; `nonEmpty` refuses `''` and whitespace alone. */
export function stringRule<Required extends boolean = false>(flags: Flags<Required> & { nonEmpty?: boolean } = {}) {
  return rule((value: unknown, fail: Fail) => {
    if (typeof value !== 'string') fail('be a string');
    if (flags.nonEmpty && value.trim() === '') fail('be a non-empty string');
    return value;
  }, flags);
}

export function booleanRule<Required extends boolean = false>(flags: Flags<Required> = {}) {
  return rule((value: unknown, fail: Fail) => {
    if (typeof value !== 'boolean') fail('be a boolean');
    return value;
  }, flags);
}

/** An integer in `[min, max]`; with no `max`, "a positive integer" when `min` is 1. */
export function integerRule<Required extends boolean = false>(min: number, max?: number, flags: Flags<Required> = {}) {
  const mustBe =
    max !== undefined ? `be an integer from ${min} to ${max}` : min === 1 ? 'be a positive integer' : `be an integer of at least ${min}`;
  return rule((value: unknown, fail: Fail) => {
    if (typeof value !== 'number' || !Number.isInteger(value) || value < min || (max !== undefined && value > max)) fail(mustBe);
    return value;
  }, flags);
}

export function functionRule<F extends (...args: never[]) => unknown, Required extends boolean = false>(flags: Flags<Required> = {}) {
  return rule((value: unknown, fail: Fail) => {
    if (typeof value !== 'function') fail('be a function');
    return value as F;
  }, flags);
}

/** An object with the named methods (a store, a ledger, a dispatcher). */
export function objectWithMethodsRule<T, Required extends boolean = false>(methods: readonly string[], flags: Flags<Required> = {}) {
  const names = methods.map((m) => `${m}()`);
  const mustBe = `have ${names.length > 1 ? `${names.slice(0, -1).join(', ')} and ${names[names.length - 1]!}` : names[0]!} methods`;
  return rule((value: unknown, fail: Fail) => {
    if (!value || typeof value !== 'object') fail(mustBe);
    for (const method of methods) if (typeof (value as Record<string, unknown>)[method] !== 'function') fail(mustBe);
    return value as T;
  }, flags);
}

/** One of a few literal values, e.g. `'lax'` or `'none'`. */
export function oneOfRule<const V extends readonly (string | number | boolean)[], Required extends boolean = false>(
  values: V,
  flags: Flags<Required> = {},
) {
  const listed = values.map((v) => JSON.stringify(v));
  const must = `be ${listed.length > 1 ? `${listed.slice(0, -1).join(', ')} or ${listed[listed.length - 1]!}` : listed[0]!}`;
  return rule((value: unknown, fail: Fail) => {
    if (!values.includes(value as V[number])) fail(must);
    return value as V[number];
  }, flags);
}

/** A non-empty array of strings. */
export function stringArrayRule<Required extends boolean = false>(flags: Flags<Required> = {}) {
  return rule((value: unknown, fail: Fail) => {
    if (!Array.isArray(value) || value.length === 0 || !value.every((v) => typeof v === 'string')) fail('be a non-empty array of strings');
    return value as string[];
  }, flags);
}

/** The TypeError for an option that its rule could not express (a combination of options). */
export function optionError(owner: string, message: string): TypeError {
  return new TypeError(`${owner}: ${message}`);
}

/**
 * Checks `options` against `schema` and returns the value of every option. `owner` is the class or
 * function the user called, as the messages will name it.
 */
export function readOptions<S extends Schema>(owner: string, options: unknown, schema: S): OptionValues<S> {
  if (options === undefined || options === null || typeof options !== 'object' || Array.isArray(options)) {
    throw new TypeError(`${owner} requires an options object${options === undefined ? '' : ` (got ${describeValue(options)})`}`);
  }
  const given = options as Record<string, unknown>;
  for (const key of Object.keys(given)) {
    if (!Object.prototype.hasOwnProperty.call(schema, key)) throw unknownOption(owner, key, Object.keys(schema));
  }
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(schema)) {
    const optionRule = schema[key]!;
    const value = Object.prototype.hasOwnProperty.call(given, key) ? given[key] : undefined;
    // An empty string is what an environment variable set to nothing gives: for a required option it is missing.
    if (value === undefined || (value === '' && optionRule.required)) {
      if (optionRule.required) {
        throw new TypeError(`${owner} requires ${article(key)} ${key} option${optionRule.missing ? `: ${optionRule.missing}` : ''}`);
      }
      out[key] = undefined;
      continue;
    }
    const fail: Fail = (must) => {
      const got = optionRule.secret ? kindOf(value) : describeValue(value);
      throw new TypeError(`${owner}: the ${key} option must ${must} (got ${got})`);
    };
    out[key] = optionRule.read(value, fail);
  }
  return out as OptionValues<S>;
}

/** Keeps the keys of `options` that `schema` declares: how a strategy hands its client only the client's options. */
export function pickOptions<S extends Schema>(options: object, schema: S): { [K in keyof S]?: unknown } {
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(schema)) {
    if (Object.prototype.hasOwnProperty.call(options, key)) out[key] = (options as Record<string, unknown>)[key];
  }
  return out as { [K in keyof S]?: unknown };
}

function unknownOption(owner: string, key: string, known: string[]): TypeError {
  const shown = printable(key);
  const near = closest(key, known);
  return new TypeError(
    `${owner}: there is no ${shown} option${near ? ` (did you mean ${near}?)` : ''}. The options are: ${[...known].sort().join(', ')}`,
  );
}

/** The known key nearest to `key`: the same letters in another case, or at most two edits away (one for short keys). */
function closest(key: string, known: string[]): string | undefined {
  const lower = key.toLowerCase();
  const sameLetters = known.find((k) => k.toLowerCase() === lower);
  if (sameLetters) return sameLetters;
  const limit = key.length <= 4 ? 1 : 2;
  let best: string | undefined;
  let bestDistance = limit + 1;
  for (const candidate of known) {
    const distance = editDistance(lower, candidate.toLowerCase(), limit);
    if (distance < bestDistance) [best, bestDistance] = [candidate, distance];
  }
  return best;
}

/** Levenshtein distance, giving up (returning `limit + 1`) once it must exceed `limit`. */
export function editDistance(a: string, b: string, limit = Infinity): number {
  if (Math.abs(a.length - b.length) > limit) return limit + 1;
  let previous = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    let rowMin = i;
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      const value = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + cost);
      current.push(value);
      rowMin = Math.min(rowMin, value);
    }
    if (rowMin > limit) return limit + 1;
    previous = current;
  }
  return previous[b.length]!;
}

/** What a value is, for a message about a secret option: its type and nothing of its content. */
function kindOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  const type = typeof value;
  return type === 'object' ? 'an object' : `${article(type)} ${type}`;
}

/** A short, printable description of a non-secret value: `the string "yes"`, `the number 1.5`, `an array`. */
export function describeValue(value: unknown): string {
  if (typeof value === 'string') return `the string ${printable(value)}`;
  if (typeof value === 'number' || typeof value === 'bigint') return `the number ${String(value)}`;
  if (typeof value === 'boolean') return String(value);
  return kindOf(value);
}

const MAX_SHOWN = 60;

/** JSON-quoted (so control characters show as escapes), and cut short. */
function printable(text: string): string {
  const cut = text.length > MAX_SHOWN ? `${text.slice(0, MAX_SHOWN)}…` : text;
  return JSON.stringify(cut);
}

function article(word: string): string {
  return /^[aeiou]/i.test(word) ? 'an' : 'a';
}
