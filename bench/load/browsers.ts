import { Pool } from 'undici';

/**
 * The load generator's connections: one keep-alive pool per origin, shared by all simulated
 * browsers (cookies are per flow, connections are not). Counts the connections it opens, so the
 * runner can tell the emulator's connections from the app's upstream connections.
 */
export class BrowserPools {
  private readonly pools = new Map<string, Pool>();
  private readonly opened = new Map<string, number>();

  constructor(private readonly connectionsPerOrigin: number) {}

  pool(origin: string): Pool {
    let pool = this.pools.get(origin);
    if (!pool) {
      pool = new Pool(origin, { connections: this.connectionsPerOrigin, pipelining: 1, keepAliveTimeout: 4_000 });
      pool.on('connect', () => this.opened.set(origin, (this.opened.get(origin) ?? 0) + 1));
      this.pools.set(origin, pool);
    }
    return pool;
  }

  /** Connections opened so far to `origin`. */
  connectionsTo(origin: string): number {
    return this.opened.get(origin) ?? 0;
  }

  async close(): Promise<void> {
    await Promise.all([...this.pools.values()].map((pool) => pool.destroy()));
  }
}
