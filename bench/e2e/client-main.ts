import * as grpc from '@grpc/grpc-js';
import { serveParent } from '../lib/child-rpc';
import { summariseProfile } from '../lib/profile-summary';
import { startProfiling, stopProfiling } from '../lib/profiler';
import { closedLoop } from '../lib/driver';
import { createCaller, type Caller } from './client-kinds';
import type { ClientSpec } from './variants';

/** One variant's client process: builds its caller once, then runs load on request. */
let caller: Caller | undefined;

serveParent({
  init(message) {
    caller = createCaller(message.spec as ClientSpec, message.target as string);
    // shimmer marks what it wrapped: proves the OpenTelemetry variant really is instrumented.
    return { otelPatched: '__wrapped' in grpc.Client.prototype.makeUnaryRequest };
  },
  run(message) {
    if (!caller) throw new Error('run before init');
    return closedLoop(caller, message.concurrency as number, message.durationMs as number, message.record as boolean);
  },
  profileStart: () => startProfiling(),
  profileStop: async (message) => summariseProfile(await stopProfiling(message.file as string)),
  stats() {
    return { maxRssBytes: process.resourceUsage().maxRSS * 1024 };
  },
});
