import * as grpc from '@grpc/grpc-js';
import { EchoClientConstructor, EchoService, type EchoClient } from './echo-service';

export interface TestServer {
  readonly server: grpc.Server;
  readonly port: number;
  /** `127.0.0.1:<port>` */
  readonly address: string;
  /** Forcefully stops the server (in-flight calls end). */
  close(): Promise<void>;
}

/** Starts a real grpc-js server on 127.0.0.1 with an ephemeral port. */
export async function startServer(
  add: (server: grpc.Server) => void,
  options: grpc.ServerOptions = {},
  port = 0,
): Promise<TestServer> {
  const server = new grpc.Server(options);
  add(server);
  const boundPort = await new Promise<number>((resolve, reject) => {
    server.bindAsync(`127.0.0.1:${port}`, grpc.ServerCredentials.createInsecure(), (err, p) =>
      err ? reject(err) : resolve(p),
    );
  });
  return {
    server,
    port: boundPort,
    address: `127.0.0.1:${boundPort}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.forceShutdown();
        resolve();
      }),
  };
}

/** Starts a server that serves the echo service with `impl` (missing methods answer UNIMPLEMENTED). */
export function startEchoServer(
  impl: Partial<grpc.UntypedServiceImplementation>,
  options: grpc.ServerOptions = {},
  port = 0,
): Promise<TestServer> {
  return startServer((server) => server.addService(EchoService, impl as grpc.UntypedServiceImplementation), options, port);
}

/** An insecure echo client; close it with `client.close()`. */
export function echoClient(address: string, options: grpc.ClientOptions = {}): EchoClient {
  return new EchoClientConstructor(address, grpc.credentials.createInsecure(), options);
}
