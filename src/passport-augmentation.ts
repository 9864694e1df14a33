/*
 * Lets the per-route options be written inline, `passport.authenticate('ultracart', { returnTo })`,
 * by adding `returnTo` to @types/passport's AuthenticateOptions. In a project that has passport
 * but not @types/passport, 'passport' is an untyped module, which cannot be augmented (TS2665):
 * the build marks this declaration `@ts-ignore` in dist/ (scripts/keep-passport-augmentation.mjs),
 * so there it is simply dropped. test/package.test.ts type-checks both kinds of project.
 */
export {};

declare module 'passport' {
  interface AuthenticateOptions {
    /** passport-ultracart: a same-origin path to come back to after sign-in; anything else is ignored. */
    returnTo?: string | undefined;
  }
}
