/** The app's only stylesheet: plain CSS, no fonts or images from elsewhere. */
export const STYLESHEET = `:root {
  --ink: #1d2733; --muted: #5b6776; --line: #d8dee6; --paper: #fff; --wash: #f3f5f8;
  --brand: #0b5cab; --brand-ink: #fff; --bad: #a4262c; --good: #2e7d32;
  /* At least 3:1 against every background the ring can sit on (test/example-app/focus-ring.test.ts). */
  --focus: #0b5cab;
}
* { box-sizing: border-box; }
body { margin: 0; font: 16px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--ink); background: var(--wash);
  /* Ids, hashes, emails and names can be one long token: break them anywhere rather than scroll sideways. */
  overflow-wrap: anywhere; }
.top { display: flex; flex-wrap: wrap; align-items: center; justify-content: space-between; gap: .5rem 1rem; min-height: 4.2rem; padding: .75rem 1.5rem; background: var(--paper); border-bottom: 1px solid var(--line); }
.brand { font-weight: 600; color: var(--ink); text-decoration: none; white-space: nowrap; }
.brand span { color: var(--muted); font-weight: 400; }
.account { display: flex; align-items: center; gap: .75rem; margin-left: auto; font-size: .95rem; }
.account button { white-space: nowrap; }
.notice { display: block; margin: 0; padding: .5rem 1.5rem; background: #fff8e1; border-bottom: 1px solid #f0e0a8; font-size: .9rem; }
main { width: min(44rem, 100% - 2rem); margin: 2.5rem auto; padding: 2rem; background: var(--paper); border-radius: 10px; box-shadow: 0 2px 12px rgba(0,0,0,.06); }
h1 { font-size: 1.5rem; margin-top: 0; }
h2 { font-size: 1.1rem; margin-top: 2rem; }
p.lead { color: var(--muted); }
a { color: var(--brand); }
.button, button { display: inline-block; font: inherit; padding: .6rem 1.1rem; border-radius: 6px;
  /* Transparent, not none: forced-colours (high-contrast) mode draws it, so a button keeps its outline there. */
  border: 2px solid transparent; background: var(--brand); color: var(--brand-ink); text-decoration: none; cursor: pointer; overflow-wrap: normal; }
a:focus-visible, .button:focus-visible, button:focus-visible, input:focus-visible { outline: 3px solid var(--focus); outline-offset: 2px; }
button.secondary, .button.secondary { background: #e6ebf1; color: var(--ink); }
form.inline { display: inline; margin: 0; }
.actions { display: flex; flex-wrap: wrap; gap: .75rem; margin-top: 1.5rem; }
dl { display: grid; grid-template-columns: max-content minmax(0, 1fr); gap: .4rem 1.25rem; }
dt { color: var(--muted); }
dd { margin: 0; overflow-wrap: anywhere; }
table { width: 100%; border-collapse: collapse; font-size: .95rem; }
th, td { text-align: left; padding: .4rem .5rem; border-bottom: 1px solid var(--line); }
.yes { color: var(--good); }
.no { color: var(--muted); }
.problem h1 { color: var(--bad); }
.hint { font-size: .9rem; color: var(--muted); }
.confirmation { padding: .6rem .9rem; border: 1px solid #b7dfb9; border-left-width: 4px; border-radius: 6px; background: #edf7ee; }
@media (max-width: 30rem) {
  .top, .notice { padding-left: 1rem; padding-right: 1rem; }
  main { margin-top: 1.25rem; padding: 1.25rem; }
  /* Labels above values, so long ids (workflow, policy) keep the full width instead of breaking mid-word. */
  dl { grid-template-columns: 1fr; gap: 0; }
  dt { margin-top: .6rem; }
}
`;
