import type { Request, Response } from 'express';
import type { AppSettings } from './config.js';

/** What the route modules share: settings, the CSRF token maker, the page notice and the log. */
export interface AppContext {
  settings: AppSettings;
  /** The line shown across the top of every page, if any (e.g. "running against emulators"). */
  notice: string | undefined;
  /** A CSRF token for a form on the page being rendered (sets its cookie too). */
  csrfToken(req: Request, res: Response): string;
  /** One line to the operator's log. Callers pass no secrets, query strings or cookies. */
  report(line: string): void;
}

/** Sends a rendered page, never cached: every page here depends on who is signed in. */
export function sendPage(res: Response, status: number, body: string): void {
  res.status(status).set('Cache-Control', 'no-store').type('html').send(body);
}
