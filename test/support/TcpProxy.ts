import net from 'node:net';

/** A TCP relay to one server that a test can cut and restore. */
export interface TcpProxy {
  /** host:port to give the client in place of the server's. */
  readonly host: string;
  /** Drops every relayed connection and refuses new ones until restore(). */
  cut(): void;
  /** Relays new connections again. */
  restore(): void;
  close(): Promise<void>;
}

/**
 * Starts a relay to `target` (host:port) on a free loopback port. Used to
 * take one Pub/Sub client off the emulator, as a network partition would,
 * while the test's own client keeps using it directly.
 */
export async function startTcpProxy(target: string): Promise<TcpProxy> {
  const { hostname, port } = new URL(`tcp://${target}`);
  const sockets = new Set<net.Socket>();
  let isCut = false;

  const track = (socket: net.Socket): void => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    // Resets are what cut() is for; an unheard 'error' would crash jest.
    socket.on('error', () => undefined);
  };
  const destroyAll = (): void => {
    for (const socket of sockets) socket.destroy();
  };

  const server = net.createServer((client) => {
    track(client);
    if (isCut) {
      client.destroy();
      return;
    }
    const upstream = net.connect(Number(port), hostname);
    track(upstream);
    client.pipe(upstream);
    upstream.pipe(client);
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const address = server.address() as net.AddressInfo;

  return {
    host: `127.0.0.1:${address.port}`,
    cut() {
      isCut = true;
      destroyAll();
    },
    restore() {
      isCut = false;
    },
    close: () =>
      new Promise<void>((resolve) => {
        destroyAll();
        server.close(() => resolve());
      }),
  };
}
