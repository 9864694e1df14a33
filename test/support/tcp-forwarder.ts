import { connect, createServer, type Server, type Socket } from 'node:net';

/**
 * A loopback TCP forwarder whose target can be switched, standing in for the address clients use
 * in front of a Redis fail-over (a Sentinel-managed address, a DNS name, a cloud endpoint).
 */
export interface TcpForwarder {
  port: number;
  /** Sends new connections to `port` from now on and drops the open ones, as a fail-over does. */
  switchTo(port: number): void;
  close(): Promise<void>;
}

export async function startTcpForwarder(targetPort: number): Promise<TcpForwarder> {
  let target = targetPort;
  const open = new Set<Socket>();
  const server: Server = createServer((client) => {
    const upstream = connect(target, '127.0.0.1');
    for (const socket of [client, upstream]) {
      open.add(socket);
      socket.on('close', () => open.delete(socket));
      socket.on('error', () => {
        client.destroy();
        upstream.destroy();
      });
    }
    client.pipe(upstream).pipe(client);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const dropAll = (): void => {
    for (const socket of open) socket.destroy();
  };
  return {
    port: (server.address() as { port: number }).port,
    switchTo(port) {
      target = port;
      dropAll();
    },
    close: () =>
      new Promise<void>((resolve) => {
        dropAll();
        server.close(() => resolve());
      }),
  };
}
