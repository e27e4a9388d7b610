import * as grpc from '@grpc/grpc-js';
import { serveParent } from '../lib/child-rpc';
import { summariseProfile } from '../lib/profile-summary';
import { startProfiling, stopProfiling } from '../lib/profiler';
import { served, startBenchServer } from './server-kinds';
import type { ServerSpec } from './variants';

/** One variant's server process: CPU and RSS are measured between `mark` and `read`. */
let cpu0 = process.cpuUsage();
let served0 = 0;
let peakRss = 0;
let rssTimer: NodeJS.Timeout | undefined;

serveParent({
  async init(message) {
    const { port } = await startBenchServer(message.spec as ServerSpec);
    return { port, otelPatched: '__wrapped' in grpc.Server.prototype.register };
  },
  mark() {
    cpu0 = process.cpuUsage();
    served0 = served.count;
    peakRss = process.memoryUsage.rss();
    clearInterval(rssTimer);
    rssTimer = setInterval(() => {
      peakRss = Math.max(peakRss, process.memoryUsage.rss());
    }, 100);
    return {};
  },
  read() {
    const cpu = process.cpuUsage(cpu0);
    clearInterval(rssTimer);
    peakRss = Math.max(peakRss, process.memoryUsage.rss());
    return { cpuUs: cpu.user + cpu.system, served: served.count - served0, peakRss };
  },
  profileStart: () => startProfiling(),
  profileStop: async (message) => summariseProfile(await stopProfiling(message.file as string)),
  stats() {
    return { maxRssBytes: process.resourceUsage().maxRSS * 1024 };
  },
});
