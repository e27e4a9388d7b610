import * as grpc from '@grpc/grpc-js';

/** Binds a server to an ephemeral port on 127.0.0.1; resolves with its `host:port`. */
export function listen(server: grpc.Server): Promise<string> {
  return new Promise((resolve, reject) => {
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (error, port) => {
      if (error) reject(error);
      else resolve(`127.0.0.1:${port}`);
    });
  });
}

/** Stops a server: lets calls in progress finish, and cuts them off after `graceMs`. */
export function shutdown(server: grpc.Server, graceMs = 1_000): Promise<void> {
  return new Promise((resolve) => {
    const force = setTimeout(() => server.forceShutdown(), graceMs);
    server.tryShutdown(() => {
      clearTimeout(force);
      resolve();
    });
  });
}
