import { jest } from '@jest/globals';
import WebSocket from 'ws';

import { openRawGraphQLSocket } from './rawGraphQLSocket.js';
import {
  startTestServer,
  type TestServer,
} from '../support/startTestServer.js';
import { seedUserTokens } from '../support/tokens.js';
import { waitUntil } from '../support/waitUntil.js';

/** An open graphql-transport-ws socket, and its close code once closed. */
async function openSocket(
  wsUrl: string,
): Promise<{ socket: WebSocket; closed: Promise<number> }> {
  const socket = new WebSocket(wsUrl, 'graphql-transport-ws');
  const closed = new Promise<number>((resolve) => {
    socket.once('close', (code: number) => resolve(code));
  });
  socket.on('error', () => undefined);
  await new Promise((resolve) => socket.once('open', resolve));
  return { socket, closed };
}

/** A text frame whose bytes are sent unchecked, as a broken client would. */
function sendRawText(socket: WebSocket, data: Buffer): void {
  socket.send(data, { binary: false });
}

/** Opens a socket, sends one frame as it is, resolves with the close code. */
async function closeCodeAfterSending(
  wsUrl: string,
  data: Buffer,
): Promise<number> {
  const { socket, closed } = await openSocket(wsUrl);
  sendRawText(socket, data);
  return closed;
}

describe('a client that breaks the WebSocket protocol', () => {
  let instance: TestServer;
  let tokens: Record<string, string>;

  beforeAll(async () => {
    instance = await startTestServer();
    tokens = await seedUserTokens();
  });

  afterAll(async () => {
    await instance.stop();
  });

  it('is closed with 1007 for invalid UTF-8, logged as one info line, never on the console', async () => {
    const consoleError = jest
      .spyOn(console, 'error')
      .mockImplementation(() => undefined);
    try {
      const code = await closeCodeAfterSending(
        instance.wsUrl,
        Buffer.from([0x7b, 0xff, 0xfe, 0x7d]),
      );

      expect(code).toBe(1007);
      expect(consoleError).not.toHaveBeenCalled();
      expect(
        instance.logs.withMessage('websocket protocol error from client'),
      ).toEqual([
        expect.objectContaining({
          level: 'info',
          code: 'WS_ERR_INVALID_UTF8',
        }),
      ]);
    } finally {
      consoleError.mockRestore();
    }
  });

  it("logs it with the connection's and user's ids once the socket is authenticated", async () => {
    instance.logs.lines.length = 0;
    const { socket, closed } = await openSocket(instance.wsUrl);
    const acknowledged = new Promise((resolve) =>
      socket.once('message', resolve),
    );
    socket.send(
      JSON.stringify({
        type: 'connection_init',
        payload: { authorization: `Bearer ${tokens.zelo}` },
      }),
    );
    await acknowledged;
    sendRawText(socket, Buffer.from([0xc3, 0x28]));

    expect(await closed).toBe(1007);
    const [line] = instance.logs.withMessage(
      'websocket protocol error from client',
    );
    expect(line).toMatchObject({
      level: 'info',
      code: 'WS_ERR_INVALID_UTF8',
      userId: 'zelo',
      connectionId: expect.any(String) as unknown,
    });
  });

  it('is closed with 1009 for a frame over the size limit', async () => {
    instance.logs.lines.length = 0;
    const code = await closeCodeAfterSending(
      instance.wsUrl,
      Buffer.alloc(1024 * 1024 + 1, 0x61),
    );

    expect(code).toBe(1009);
    expect(
      instance.logs.withMessage('websocket protocol error from client'),
    ).toEqual([
      expect.objectContaining({
        level: 'info',
        code: 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH',
      }),
    ]);
  });

  it('is closed with 4400 for a message outside graphql-transport-ws, logged at info', async () => {
    instance.logs.lines.length = 0;
    const code = await closeCodeAfterSending(
      instance.wsUrl,
      Buffer.from('{"type":"nonsense"}'),
    );

    expect(code).toBe(4400);
    // The server's side of the close may finish just after the client's.
    await waitUntil(
      () =>
        instance.logs.withMessage('websocket closed for a protocol violation')
          .length > 0,
      'the protocol violation is logged',
    );
    expect(
      instance.logs.withMessage('websocket closed for a protocol violation'),
    ).toEqual([
      expect.objectContaining({
        level: 'info',
        code: 4400,
        reason: 'Invalid message received',
      }),
    ]);
  });

  it('leaves the server serving other clients', async () => {
    const socket = await openRawGraphQLSocket(instance.wsUrl, {
      authorization: `Bearer ${tokens.zolo}`,
    });
    socket.subscribe('1', 'subscription { templateAdded { id } }');
    await socket.barrier();
    expect(socket.errorsOf('1')).toEqual([]);
    expect(await socket.close()).toBe(1000);
  });
});
