import { Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import type { Request } from 'express';
import { SignInFailedException } from './ultracart-auth.guard.js';

/** Lets signed-in users through; anyone else gets a 401 page (no call to a vendor is made). */
@Injectable()
export class SignedInGuard implements CanActivate {
  canActivate(context: ExecutionContext): boolean {
    if (context.switchToHttp().getRequest<Request>().user) return true;
    // Thrown, not `return false`: Nest would answer a bare 403 Forbidden.
    throw new SignInFailedException(401, null, 'Please sign in with UltraCart first.');
  }
}
