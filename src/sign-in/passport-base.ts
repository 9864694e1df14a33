import type { IncomingMessage } from 'node:http';
import PassportStrategy from 'passport-strategy';

/**
 * The actions Passport attaches to a strategy for the length of one `authenticate` call. Declared
 * here, rather than taken from `@types/passport-strategy`, so the published types stand alone.
 */
export interface StrategyActions {
  success(user: unknown, info?: object): void;
  fail(challenge?: { message: string } | string, status?: number): void;
  redirect(url: string, status?: number): void;
  pass(): void;
  error(err: unknown): void;
}

export interface PassportStrategyLike extends StrategyActions {
  name?: string;
  authenticate(req: IncomingMessage, options?: object): void;
}

/** passport-strategy's base class, typed with the declarations above. */
export const StrategyBase = PassportStrategy as unknown as abstract new () => PassportStrategyLike;
