import { PassportUltraCartError } from './http/errors.js';

/**
 * Raised when a flow that keeps state in `req.session` runs without session middleware: status
 * 500, code `SESSION_REQUIRED`. No call to the vendor is made first.
 */
export class SessionRequiredError extends PassportUltraCartError<'SESSION_REQUIRED'> {
  constructor() {
    super('passport-ultracart requires session support: add express-session (or another req.session provider) before passport', {
      code: 'SESSION_REQUIRED',
      status: 500,
    });
    this.name = 'SessionRequiredError';
  }
}

/**
 * Raised when `req.session` would not let go of a pending sign-in: neither `delete` nor assigning
 * `undefined` (nor its own `set`) removed it: status 500, code `SESSION_REMOVAL_IGNORED`. The callback is refused rather than leaving a state
 * that a wrong guess should have used up.
 */
export class SessionRemovalError extends PassportUltraCartError<'SESSION_REMOVAL_IGNORED'> {
  constructor(key: string) {
    super(`passport-ultracart could not remove req.session[${JSON.stringify(key)}]: the session object ignores delete and assignment`, {
      code: 'SESSION_REMOVAL_IGNORED',
      status: 500,
    });
    this.name = 'SessionRemovalError';
  }
}
