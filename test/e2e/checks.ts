/**
 * The browser test's own tiny reporter: it runs as a plain script (a browser and a child process
 * are easier to bound and clean up outside mocha), so it prints one line per check and a tally.
 */

/** Thrown by a failed {@link Checks.step}: the flow cannot go on, and the failure is already counted. */
export class FlowStopped extends Error {
  constructor(step: string) {
    super(`stopped at: ${step}`);
    this.name = 'FlowStopped';
  }
}

/** Counts checks and prints `ok` / `FAIL` lines. */
export class Checks {
  passed = 0;
  failed = 0;

  /** Records one check; returns whether it passed, so a caller may skip what depends on it. */
  expect(title: string, ok: boolean, detail?: string): boolean {
    if (ok) {
      this.passed++;
      console.log(`ok   ${title}`);
    } else {
      this.failed++;
      console.log(`FAIL ${title}${detail ? `: ${detail}` : ''}`);
    }
    return ok;
  }

  /** Records that `actual` is exactly `expected`. */
  equal(title: string, actual: unknown, expected: unknown): boolean {
    return this.expect(title, actual === expected, `expected ${JSON.stringify(expected)}, got ${JSON.stringify(actual)}`);
  }

  /** Records that `text` contains `part`. */
  includes(title: string, text: string | null | undefined, part: string): boolean {
    return this.expect(
      title,
      typeof text === 'string' && text.includes(part),
      `expected to contain ${JSON.stringify(part)}, got ${JSON.stringify(text)}`,
    );
  }

  /**
   * A step the rest of the flow depends on (a click that must navigate, a page that must load):
   * counted as a check, and on failure the flow stops with {@link FlowStopped}.
   */
  async step<T>(title: string, action: () => Promise<T>): Promise<T> {
    let value: T;
    try {
      value = await action();
    } catch (err) {
      this.expect(title, false, describeError(err));
      throw new FlowStopped(title);
    }
    this.expect(title, true);
    return value;
  }

  /** Runs one flow; a stopped or crashed flow is reported and the next flow still runs. */
  async flow(name: string, run: () => Promise<void>): Promise<void> {
    console.log(`\n# ${name}`);
    try {
      await run();
    } catch (err) {
      if (err instanceof FlowStopped) console.log(`# ${name}: ${err.message}; its remaining checks did not run`);
      else this.expect(`${name} ran to the end`, false, describeError(err));
    }
  }

  /** The last line of the run, alone on its line. */
  summary(): string {
    return `${this.passed} passed, ${this.failed} failed`;
  }
}

/** The first line of an error (Playwright appends a long call log), bounded. */
export function describeError(err: unknown): string {
  const text = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
  const first = text.split('\n').find((line) => line.trim() !== '') ?? text;
  return first.length > 300 ? `${first.slice(0, 300)}…` : first;
}
