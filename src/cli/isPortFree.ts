import net from 'node:net';

/**
 * Whether nothing listens on `port`: binds it on every interface, as an
 * instance would, and lets go at once. Another process can still take it
 * before we do; this is for a clear message up front, not a reservation.
 */
export function isPortFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen({ port, exclusive: true }, () => {
      server.close(() => resolve(true));
    });
  });
}
