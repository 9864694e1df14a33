import { Inject, Injectable, type ExecutionContext } from '@nestjs/common';
import { AuthGuard, PassportStrategy } from '@nestjs/passport';
import { UltrapassIdStrategy, type UltrapassIdProfile } from 'passport-ultracart';
import { EXAMPLE_CONFIG, OIDC_CALLBACK_PATH, type NestExampleConfig } from './config.js';
import { SignInFailedException } from './ultracart-auth.guard.js';

/** What the session keeps after UltrapassId's OpenID Connect sign-in verified a person. */
export interface OidcVerification {
  subject: string;
  verifiedAt: string;
}

/** `UltrapassIdStrategy` (OpenID Connect with PKCE) as a Nest provider; `validate(profile, tokens)`. */
@Injectable()
export class UltrapassIdAuthStrategy extends PassportStrategy(UltrapassIdStrategy, 'ultrapassid') {
  constructor(@Inject(EXAMPLE_CONFIG) config: NestExampleConfig) {
    super({ clientId: config.oidc.clientId, issuer: config.oidc.issuer, callbackURL: `${config.origin}${OIDC_CALLBACK_PATH}` });
  }

  validate(profile: UltrapassIdProfile): OidcVerification {
    return { subject: profile.id, verifiedAt: profile.verifiedAt.toISOString() };
  }
}

/**
 * Like `passport.authorize()`: the verified identity goes to `req.account`, and the UltraCart user
 * stays signed in as they were. Failures keep the strategy's status and reason, as for UltraCart.
 */
@Injectable()
export class UltrapassIdGuard extends AuthGuard('ultrapassid') {
  override getAuthenticateOptions(): { property: string } {
    return { property: 'account' };
  }

  override handleRequest<User>(err: unknown, user: User | false, info: unknown, _context: ExecutionContext, status?: number): User {
    if (err) throw err;
    if (!user) {
      const failure = (info ?? {}) as { reason?: string; message?: string };
      throw new SignInFailedException(status ?? 401, failure.reason ?? null, failure.message ?? 'The verification did not finish.');
    }
    return user;
  }
}
