import { Catch, HttpException, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import type { Response } from 'express';
import { PassportUltraCartError } from 'passport-ultracart';
import { failurePage, problemPage } from './pages.js';
import { SignInFailedException } from './ultracart-auth.guard.js';

/**
 * Answers the package's errors and failed sign-ins with their own status: a 503 with Retry-After
 * stays a 503 with Retry-After, a refused callback keeps its 403 and reason.
 */
@Catch(PassportUltraCartError, SignInFailedException)
export class SignInProblemFilter implements ExceptionFilter {
  catch(exception: PassportUltraCartError | SignInFailedException, host: ArgumentsHost): void {
    const res = host.switchToHttp().getResponse<Response>();
    res.type('html');
    if (exception instanceof HttpException) {
      const failure = exception as SignInFailedException;
      res.status(failure.getStatus()).send(failurePage(failure.reason, failure.text));
      return;
    }
    if (exception.headers) res.set(exception.headers);
    const message = exception.expose
      ? exception.message
      : exception.status === 503
        ? 'Sign-in is unavailable just now.'
        : 'Something went wrong.';
    res.status(exception.status).send(problemPage(exception.status, message, exception.headers?.['Retry-After']));
  }
}
