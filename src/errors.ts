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
