/** Raised when a flow that keeps state in `req.session` runs without session middleware. */
export class SessionRequiredError extends Error {
  readonly status = 500;
  readonly code = 'SESSION_REQUIRED';
  constructor() {
    super('passport-ultracart requires session support: add express-session (or another req.session provider) before passport');
    this.name = 'SessionRequiredError';
  }
}
