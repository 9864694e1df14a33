import { Inject, Injectable } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import { UltraCartStrategy, type UltraCartProfile, type UltraCartToken } from 'passport-ultracart';
import { CALLBACK_PATH, EXAMPLE_CONFIG, type NestExampleConfig, type SessionUser } from './config.js';

/**
 * The package's strategy as a Nest provider. The mixin passes the options to `UltraCartStrategy`
 * and turns `validate()` into its verify function: `validate(simpleKey, token, profile)` returns
 * the user (or a Promise of it); returning `false`, or `[false, { message }]`, fails the sign-in
 * with 403 and that message; a throw is an error.
 */
@Injectable()
export class UltraCartAuthStrategy extends PassportStrategy(UltraCartStrategy, 'ultracart') {
  constructor(@Inject(EXAMPLE_CONFIG) config: NestExampleConfig) {
    super({
      callbackURL: `${config.origin}${CALLBACK_PATH}`,
      simpleKey: config.ultracart.simpleKey,
      baseURL: config.ultracart.baseURL,
    });
  }

  validate(simpleKey: string, _token: UltraCartToken, profile: UltraCartProfile): SessionUser {
    return { id: profile.id, login: profile.username ?? profile.id, name: profile.displayName, simpleKey };
  }
}
