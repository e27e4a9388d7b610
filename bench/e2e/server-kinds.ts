import * as grpc from '@grpc/grpc-js';
import { serverPiece, stackModule, wrapServiceExport } from '../lib/pieces';
import { BenchService } from '../lib/service';
import type { ServerSpec } from './variants';

/** Counts handled calls, so a server can report CPU per call. */
export const served = { count: 0 };

const callbackImpl: grpc.UntypedServiceImplementation = {
  echo: (call: grpc.ServerUnaryCall<Buffer, Buffer>, callback: grpc.sendUnaryData<Buffer>) => {
    served.count++;
    callback(null, call.request);
  },
};

/** The same handler written the way wrapService users write it: an async function. */
const asyncImpl = {
  echo: async (call: grpc.ServerUnaryCall<Buffer, Buffer>) => {
    served.count++;
    return call.request;
  },
};

function interceptorsFor(spec: ServerSpec): grpc.ServerInterceptor[] {
  const i = spec.interceptors;
  if (i === 'none' || i === 'wrap-service') return [];
  if (i === 'stack') return stackModule.serverInterceptors();
  return [serverPiece(i)];
}

/** The implementation: wrapService (with an async handler) for the full stack once it exists. */
function implementationFor(spec: ServerSpec): grpc.UntypedServiceImplementation {
  const wrap = wrapServiceExport();
  const wants = spec.interceptors === 'stack' || spec.interceptors === 'wrap-service';
  return wants && wrap ? wrap(asyncImpl) : callbackImpl;
}

/** Starts the server of a spec on 127.0.0.1 (ephemeral port). */
export async function startBenchServer(spec: ServerSpec): Promise<{ server: grpc.Server; port: number }> {
  const server = new grpc.Server({ interceptors: interceptorsFor(spec) });
  server.addService(BenchService, implementationFor(spec));
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))),
  );
  return { server, port };
}
