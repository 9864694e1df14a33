import { Injectable } from '@nestjs/common';
import { PassportSerializer } from '@nestjs/passport';
import type { SessionUser } from './config.js';

/** The whole user goes into the server-side session (it is small); nothing to look up. */
@Injectable()
export class SessionSerializer extends PassportSerializer {
  serializeUser(user: SessionUser, done: (err: unknown, user: SessionUser) => void): void {
    done(null, user);
  }

  deserializeUser(user: SessionUser, done: (err: unknown, user: SessionUser) => void): void {
    done(null, user);
  }
}
