/**
 * The used-state ledger could not say whether a state was already used (it rejected, or did not
 * answer in time). The callback fails closed with this error: status 503, nobody signed in, no
 * call to UltraCart's `/sso/token`. The browser has to start the sign-in again.
 *
 * The ledger's own error is kept as a non-enumerable `cause`, so loggers that walk own properties
 * do not print what a database driver put in it.
 */
export class UsedStatesUnavailableError extends Error {
  readonly status = 503;
  readonly code = 'USED_STATES_UNAVAILABLE';
  declare readonly cause: unknown;

  constructor(message = 'passport-ultracart: the used-state ledger could not be reached, so the sign-in was refused', cause?: unknown) {
    super(message);
    this.name = 'UsedStatesUnavailableError';
    Object.defineProperty(this, 'cause', { value: cause, enumerable: false, configurable: true, writable: false });
  }

  /** Express reads `statusCode` as well as `status`. */
  get statusCode(): number {
    return this.status;
  }
}
