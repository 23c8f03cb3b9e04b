import { randomBytes } from 'node:crypto';
import net from 'node:net';

function upgradeRequest(path: string): string {
  return (
    `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n` +
    'Connection: Upgrade\r\nSec-WebSocket-Version: 13\r\n' +
    `Sec-WebSocket-Key: ${randomBytes(16).toString('base64')}\r\n` +
    'Sec-WebSocket-Protocol: graphql-transport-ws\r\n\r\n'
  );
}

/**
 * Completes a WebSocket upgrade by hand and then ignores the socket, like a
 * client that has frozen: it never answers the server's close frame, so a
 * draining server has to wait out its grace period and cut it off.
 */
export function openFrozenWebSocket(port: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1', () => {
      socket.write(upgradeRequest('/graphql'));
    });
    socket.once('error', reject);
    socket.once('data', (data: Buffer) => {
      if (data.toString().startsWith('HTTP/1.1 101')) {
        // Later errors (the server resetting it) are expected.
        socket.off('error', reject);
        socket.on('error', () => undefined);
        resolve(socket);
      } else {
        socket.destroy();
        reject(new Error(`upgrade refused: ${data.toString()}`));
      }
    });
  });
}

/** The status line a WebSocket upgrade request to `path` gets. */
export function upgradeStatusLine(
  port: number,
  path = '/graphql',
): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1', () => {
      socket.write(upgradeRequest(path));
    });
    socket.once('error', reject);
    socket.once('data', (data: Buffer) => {
      resolve(data.toString().split('\r\n')[0]!);
      socket.destroy();
    });
  });
}
