import { Controller, Get, Inject, Post, Req, Res, UseFilters, UseGuards } from '@nestjs/common';
import type { Request, Response } from 'express';
import {
  safeReturnTo,
  uauth,
  UAuthClient,
  UAUTH_DEFAULT_SESSION_KEY,
  type UAuthSessionRecord,
  type UltraCartAuthInfo,
} from 'passport-ultracart';
import {
  CALLBACK_PATH,
  EXAMPLE_CONFIG,
  OIDC_CALLBACK_PATH,
  VERIFY_RETURN_PATH,
  type NestExampleConfig,
  type SessionUser,
} from './config.js';
import { homePage, problemPage } from './pages.js';
import { SignInProblemFilter } from './problem.filter.js';
import { UltraCartAuthGuard } from './ultracart-auth.guard.js';
import { SignedInGuard } from './signed-in.guard.js';
import { UltraCartAuthStrategy } from './ultracart.strategy.js';
import { UltrapassIdGuard, type OidcVerification } from './ultrapassid.strategy.js';

declare module 'express-session' {
  interface SessionData {
    [UAUTH_DEFAULT_SESSION_KEY]?: UAuthSessionRecord;
    identityCheck?: { workflowKey: string; policyId: string | null };
    oidcCheck?: OidcVerification;
  }
}

/** Both flows: the UltraCart sign-in (guarded routes) and UltrapassId's identity check (uauth()). */
@Controller()
@UseFilters(SignInProblemFilter)
export class AppController {
  private readonly startVerification: ReturnType<typeof uauth<Request>>;
  private readonly uauthClient: UAuthClient;

  constructor(
    @Inject(EXAMPLE_CONFIG) private readonly config: NestExampleConfig,
    @Inject(UltraCartAuthStrategy) private readonly strategy: UltraCartAuthStrategy,
  ) {
    const connection = { organizationKey: config.uauth.organizationKey, baseURL: config.uauth.baseURL };
    this.startVerification = uauth<Request>({ ...connection, workflowKey: config.uauth.workflowKey });
    this.uauthClient = new UAuthClient(connection);
  }

  @Get()
  home(@Req() req: Request, @Res() res: Response): void {
    const user = req.user as SessionUser | undefined;
    const verification = req.session.identityCheck;
    res.type('html').send(
      homePage({
        user: user ? { name: user.name, login: user.login } : null,
        verifiedWith: verification ? (verification.policyId ?? 'unknown') : null,
        oidcSubject: req.session.oidcCheck?.subject ?? null,
      }),
    );
  }

  /** The authorize leg: the guard's strategy redirects to UltraCart, so this body never runs. */
  @Get('login')
  @UseGuards(UltraCartAuthGuard)
  login(): void {}

  @Get(CALLBACK_PATH)
  @UseGuards(UltraCartAuthGuard)
  callback(@Req() req: Request, @Res() res: Response): void {
    const info = req.authInfo as UltraCartAuthInfo | undefined;
    res.redirect(302, safeReturnTo(info?.returnTo) ?? '/');
  }

  @Post('logout')
  async logout(@Req() req: Request, @Res() res: Response): Promise<void> {
    const user = req.user as SessionUser | undefined;
    // One attempt now; a failure is retried in the background. The local sign-out never waits longer.
    if (user) await this.strategy.client.revokeWithRetry(user.simpleKey);
    await new Promise<void>((resolve, reject) => req.logout((err) => (err ? reject(err) : resolve())));
    res.redirect(303, '/');
  }

  /** uauth() is Express middleware: run here, its errors reach the filter, its redirect is its own. */
  @Post('verify')
  async verify(@Req() req: Request, @Res() res: Response): Promise<void> {
    if (!req.user) return res.redirect(303, '/');
    // SameSite=Lax keeps cross-site posts signed out; the Origin check refuses the rest. Add CSRF tokens in a real app.
    if (req.headers.origin !== undefined && req.headers.origin !== this.config.origin) {
      res.status(403).send('Cross-site request refused');
      return;
    }
    await new Promise<void>((resolve, reject) => this.startVerification(req, res, (err) => (err ? reject(err) : resolve())));
  }

  /** UltrapassId over OpenID Connect: the guard redirects to the provider, so this body never runs. */
  @Post('verify/oidc')
  @UseGuards(SignedInGuard, UltrapassIdGuard)
  verifyOidc(): void {}

  @Get(OIDC_CALLBACK_PATH)
  @UseGuards(SignedInGuard, UltrapassIdGuard)
  verifyOidcCallback(@Req() req: Request, @Res() res: Response): void {
    req.session.oidcCheck = (req as Request & { account: OidcVerification }).account;
    res.set('Cache-Control', 'no-store').redirect(303, '/');
  }

  @Get(VERIFY_RETURN_PATH)
  async verifyReturn(@Req() req: Request, @Res() res: Response): Promise<void> {
    const record = req.session[UAUTH_DEFAULT_SESSION_KEY];
    delete req.session[UAUTH_DEFAULT_SESSION_KEY];
    const sessionId = req.query.sessionId;
    if (!req.user || !record || typeof sessionId !== 'string' || record.sessionId !== sessionId) {
      res
        .status(403)
        .type('html')
        .send(problemPage(403, 'This verification was not started here.', undefined));
      return;
    }
    const session = await this.uauthClient.getSession(sessionId);
    if (session.workflowKey.toLowerCase() !== record.workflowKey.toLowerCase()) {
      res
        .status(403)
        .type('html')
        .send(problemPage(403, 'UltrapassId reported another workflow.', undefined));
      return;
    }
    req.session.identityCheck = { workflowKey: session.workflowKey, policyId: session.policyId };
    res.set('Cache-Control', 'no-store').redirect(303, '/');
  }
}
