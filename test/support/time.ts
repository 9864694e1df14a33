/** Waits `ms` of real time: only for tests that need wall-clock time to pass (a fake clock is better). */
export function pause(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
