import * as net from 'node:net';
import * as grpc from '@grpc/grpc-js';
import { EchoService } from './echo-service';
import { sleep } from './calls';

export interface RestartableServer {
  /** The port, the same across restarts. */
  readonly port: number;
  /** `127.0.0.1:<port>` */
  readonly address: string;
  readonly running: boolean;
  /** The grpc-js server currently serving (a new one after each start). */
  readonly server: grpc.Server | undefined;
  /**
   * Kills the server as a crashed process would: the port stops listening, every connection is
   * reset (TCP RST, so in-flight calls end with UNAVAILABLE on the client) and every handler's call
   * is cancelled.
   */
  stop(): Promise<void>;
  /** Starts a fresh server on the same port with the same services and options. */
  start(): Promise<void>;
  /** stop(), wait `downMs`, start(). */
  restart(downMs?: number): Promise<void>;
  /** Stops for good. */
  close(): Promise<void>;
}

interface Running {
  readonly server: grpc.Server;
  readonly listener: net.Server;
  readonly sockets: Set<net.Socket>;
}

/**
 * A grpc-js server on 127.0.0.1 that can be killed and started again on the same port, for
 * "server restarted under load" tests. We own the listening socket and hand each connection to
 * grpc-js through its connection injector, so a stop can reset the connections like a dying
 * process (grpc-js's own forceShutdown sends RST_STREAM CANCEL, which clients see as CANCELLED).
 * A grpc-js server cannot be started again after shutdown, so every start builds a new one.
 */
export async function startRestartableServer(
  add: (server: grpc.Server) => void,
  options: grpc.ServerOptions = {},
  port = 0,
): Promise<RestartableServer> {
  let current: Running | undefined;
  let boundPort = port;

  const start = async () => {
    if (current) return;
    const server = new grpc.Server(options);
    add(server);
    const injector = server.createConnectionInjector(grpc.ServerCredentials.createInsecure());
    const sockets = new Set<net.Socket>();
    const listener = net.createServer((socket) => {
      sockets.add(socket);
      socket.on('error', () => undefined); // a reset connection is expected here
      socket.on('close', () => sockets.delete(socket));
      injector.injectConnection(socket);
    });
    // The port was just released; retry briefly in case the OS has not let go of it yet.
    for (let attempt = 0; ; attempt++) {
      try {
        boundPort = await listen(listener, boundPort);
        break;
      } catch (error) {
        if (attempt >= 20) {
          server.forceShutdown();
          throw error;
        }
        await sleep(25);
      }
    }
    current = { server, listener, sockets };
  };

  const stop = async () => {
    const running = current;
    if (!running) return;
    current = undefined;
    const closed = new Promise<void>((resolve) => running.listener.close(() => resolve()));
    for (const socket of running.sockets) socket.resetAndDestroy();
    running.server.forceShutdown();
    await closed;
  };

  await start();
  return {
    get port() {
      return boundPort;
    },
    get address() {
      return `127.0.0.1:${boundPort}`;
    },
    get running() {
      return current !== undefined;
    },
    get server() {
      return current?.server;
    },
    stop,
    start,
    restart: async (downMs = 0) => {
      await stop();
      if (downMs > 0) await sleep(downMs);
      await start();
    },
    close: stop,
  };
}

function listen(listener: net.Server, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    listener.once('error', reject);
    listener.listen(port, '127.0.0.1', () => {
      listener.off('error', reject);
      resolve((listener.address() as net.AddressInfo).port);
    });
  });
}

/** A restartable server serving the echo service with `impl`. */
export function startRestartableEchoServer(
  impl: Partial<grpc.UntypedServiceImplementation>,
  options: grpc.ServerOptions = {},
  port = 0,
): Promise<RestartableServer> {
  return startRestartableServer((server) => server.addService(EchoService, impl as grpc.UntypedServiceImplementation), options, port);
}
