import { HttpException, Injectable, type ExecutionContext } from '@nestjs/common';
import { AuthGuard } from '@nestjs/passport';
import type { Request } from 'express';
import type { UltraCartAuthenticateOptions } from 'passport-ultracart';

/** A failed sign-in, keeping the strategy's status (400, 401, 403) and its reason. */
export class SignInFailedException extends HttpException {
  constructor(
    status: number,
    readonly reason: string | null,
    readonly text: string,
  ) {
    super({ statusCode: status, reason, message: text }, status);
  }
}

/**
 * Runs the UltraCart strategy on both legs. Nest's own AuthGuard would turn every failure into a
 * 401 "Unauthorized"; this one keeps the strategy's status and reason, passes `returnTo` to the
 * authorize leg, and writes the user into the session on success.
 */
@Injectable()
export class UltraCartAuthGuard extends AuthGuard('ultracart') {
  override async canActivate(context: ExecutionContext): Promise<boolean> {
    const allowed = (await super.canActivate(context)) as boolean;
    // Reached only on a successful callback: the authorize leg has already redirected.
    await super.logIn(context.switchToHttp().getRequest());
    return allowed;
  }

  override getAuthenticateOptions(context: ExecutionContext): UltraCartAuthenticateOptions {
    const { returnTo } = context.switchToHttp().getRequest<Request>().query;
    // The strategy validates it (same-origin paths only) and hands it back in req.authInfo.
    return typeof returnTo === 'string' ? { returnTo } : {};
  }

  override handleRequest<User>(err: unknown, user: User | false, info: unknown, _context: ExecutionContext, status?: number): User {
    // An error (UltraCart down: 503 with Retry-After) keeps its own status through the filters.
    if (err) throw err;
    if (!user) {
      const failure = (info ?? {}) as { reason?: string; message?: string };
      throw new SignInFailedException(status ?? 401, failure.reason ?? null, failure.message ?? 'Sign-in did not finish.');
    }
    return user;
  }
}
