import { spawnExampleApp, type ExampleAppProcess } from './example-app-process.js';

/** One example-app process, ready, and the origin it answers on. */
export interface ExampleAppInstance {
  process: ExampleAppProcess;
  origin: string;
}

/**
 * Starts `count` example-app processes with the same `env`, in parallel (each takes seconds to
 * start on a loaded machine), and waits until every one is ready. If one fails to start, the
 * others are stopped before the error is thrown.
 */
export async function startExampleAppInstances(count: number, env: Record<string, string>): Promise<ExampleAppInstance[]> {
  const processes = Array.from({ length: count }, () => spawnExampleApp({ PORT: '0', ...env }));
  try {
    return await Promise.all(
      processes.map(async (process) => {
        const [, origin] = await process.waitFor(/open (http:\/\/127\.0\.0\.1:\d+)\//, 60_000);
        return { process, origin: origin! };
      }),
    );
  } catch (err) {
    await stopExampleAppInstances(processes.map((process) => ({ process, origin: '' })));
    throw err;
  }
}

export async function stopExampleAppInstances(instances: ExampleAppInstance[]): Promise<void> {
  await Promise.all(instances.map((instance) => instance.process.stop()));
}

/** The `name=value` pairs of a response's Set-Cookie headers, as one Cookie header a browser would send back. */
export function cookieHeaderFrom(response: Response, previous = ''): string {
  const jar = new Map(
    previous
      .split('; ')
      .filter(Boolean)
      .map((pair) => [pair.slice(0, pair.indexOf('=')), pair] as const),
  );
  for (const cookie of response.headers.getSetCookie()) {
    const pair = cookie.split(';', 1)[0]!;
    const name = pair.slice(0, pair.indexOf('='));
    if (/Max-Age=0/i.test(cookie)) jar.delete(name);
    else jar.set(name, pair);
  }
  return [...jar.values()].join('; ');
}
