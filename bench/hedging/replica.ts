/**
 * A back replica of the hedging benchmark, in its own process: a grpc-js server whose one method
 * answers after its service time. Told over IPC what to do: stragglers (a share of calls take
 * `factor` times longer), a stall (the event loop blocked, as by a long garbage-collection pause),
 * or a black hole (calls accepted, never answered). It counts the calls it received and those
 * the client cancelled before the answer.
 */
import * as grpc from '@grpc/grpc-js';
import { seededRandom } from '../../src/testing/random';

export interface ReplicaBehaviour {
  /** Service time of a call (ms), ±20 % uniform. */
  readonly serviceMs: number;
  /** Share of calls that take `factor` × the service time. */
  readonly stragglerShare: number;
  readonly factor: number;
  /** Block the event loop for `stallMs` this long after `go` (none when undefined). */
  readonly stallAtMs?: number;
  readonly stallMs?: number;
  /** Accept calls and never answer them. */
  readonly blackHole: boolean;
  readonly seed: number;
}

export interface ReplicaCounts {
  readonly received: number;
  readonly cancelled: number;
}

const METHOD = '/bench.v1.Hedge/Get';
const identity = (b: Buffer) => b;

let behaviour: ReplicaBehaviour = { serviceMs: 10, stragglerShare: 0, factor: 1, blackHole: false, seed: 1 };
let random = seededRandom(1);
let received = 0;
let cancelled = 0;
let stallTimer: NodeJS.Timeout | undefined;

const server = new grpc.Server();
server.register(
  METHOD,
  (call: grpc.ServerUnaryCall<Buffer, Buffer>, callback: grpc.sendUnaryData<Buffer>) => {
    received++;
    let answered = false;
    call.on('cancelled', () => {
      if (!answered) cancelled++;
    });
    if (behaviour.blackHole) return;
    const straggler = random() < behaviour.stragglerShare;
    const ms = behaviour.serviceMs * (0.8 + 0.4 * random()) * (straggler ? behaviour.factor : 1);
    const timer = setTimeout(() => {
      answered = true;
      callback(null, call.request);
    }, ms);
    call.on('cancelled', () => clearTimeout(timer));
  },
  identity,
  identity,
  'unary',
);

process.on('message', (message: { type: string; behaviour?: ReplicaBehaviour }) => {
  switch (message.type) {
    case 'configure':
      behaviour = message.behaviour!;
      random = seededRandom(behaviour.seed);
      received = cancelled = 0;
      process.send!({ type: 'configured' });
      break;
    case 'go':
      if (behaviour.stallAtMs !== undefined) {
        stallTimer = setTimeout(() => {
          const until = performance.now() + (behaviour.stallMs ?? 0);
          while (performance.now() < until) {
            // A stop-the-world pause: nothing else runs.
          }
        }, behaviour.stallAtMs);
      }
      process.send!({ type: 'going' });
      break;
    case 'counts':
      clearTimeout(stallTimer);
      process.send!({ type: 'counts', counts: { received, cancelled } satisfies ReplicaCounts });
      break;
    case 'exit':
      server.forceShutdown();
      process.exit(0);
  }
});

server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, port) => {
  if (err) throw err;
  process.send!({ type: 'ready', port });
});
