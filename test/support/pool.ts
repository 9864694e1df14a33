/** Runs `total` tasks with at most `concurrency` in flight, as a crowd of browsers would. */
export async function pool(total: number, concurrency: number, task: () => Promise<void>): Promise<void> {
  let started = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (started < total) {
        started += 1;
        await task();
      }
    }),
  );
}
