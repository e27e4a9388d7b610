import * as grpc from '@grpc/grpc-js';
import { serveParent } from '../lib/child-rpc';
import { stackModule } from '../lib/pieces';
import { BenchService, type BenchMethod } from '../lib/service';
import { INJECTED, shouldFail } from './faults';
import { sampleMemory, type MemorySample } from './memory';

/** The soak's server: our full server stack, a fault plan, and memory samples on a timer. */
const counts = { attempts: 0, injected: 0 };
const samples: MemorySample[] = [];
const t0 = performance.now();

function handler(method: BenchMethod): grpc.handleUnaryCall<Buffer, Buffer> {
  return (call, callback) => {
    counts.attempts++;
    if (shouldFail(method, Date.now())) {
      counts.injected++;
      callback(INJECTED);
    } else {
      callback(null, call.request);
    }
  };
}

let timer: NodeJS.Timeout | undefined;

serveParent({
  async init(message) {
    const server = new grpc.Server({ interceptors: stackModule.serverInterceptors() });
    server.addService(BenchService, { echo: handler('echo'), lookup: handler('lookup'), flaky: handler('flaky') });
    const port = await new Promise<number>((resolve, reject) =>
      server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))),
    );
    timer = setInterval(() => samples.push(sampleMemory(t0, counts.attempts)), message.sampleEveryMs as number);
    return { port };
  },
  finish() {
    clearInterval(timer);
    samples.push(sampleMemory(t0, counts.attempts));
    return { counts, samples };
  },
});
