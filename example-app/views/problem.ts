import { html } from './html.js';
import { page } from './layout.js';

export interface ProblemInput {
  /** A stable name for tests and scripts, put on `<main>`'s content as `data-problem`. */
  kind: string;
  title: string;
  explanation: string;
  /** Where the user can go next. Default: back to the start. */
  next?: { href: string; label: string; id: string };
  notice?: string;
}

/** A page for anything that went wrong: plain words, a way forward, never a stack trace. */
export function problemPage({ kind, title, explanation, next, notice }: ProblemInput): string {
  const link = next ?? { href: '/', label: 'Back to the start', id: 'start-again' };
  return page({
    title,
    notice,
    body: html`<section class="problem" id="problem" data-problem="${kind}">
      <h1>${title}</h1>
      <p>${explanation}</p>
      <div class="actions"><a class="button" id="${link.id}" href="${link.href}">${link.label}</a></div>
    </section>`,
  });
}
