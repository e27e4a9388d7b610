import { REPO_ROOT } from './machine';
import type { CpuProfile } from './profiler';

/** Where CPU time went in a profile: by area of code and by function (self time). */
export interface ProfileSummary {
  /** Non-idle sampled time, µs. */
  readonly busyUs: number;
  readonly areas: readonly { area: string; us: number }[];
  readonly functions: readonly { name: string; area: string; us: number }[];
}

/** A frame's file relative to the repository (built children run from bench/.build/run-<pid>/). */
function repoPath(url: string): string | undefined {
  const file = url.replace(/^file:\/\//, '');
  const built = /\/\.build\/run-\d+\/(.*)$/.exec(file);
  if (built) return built[1];
  return file.startsWith(`${REPO_ROOT}/`) ? file.slice(REPO_ROOT.length + 1) : undefined;
}

/** The area a frame belongs to: our package, grpc-js, a peer, Node, GC, … */
export function areaOf(url: string, functionName: string): string {
  if (functionName === '(garbage collector)') return 'GC';
  if (functionName === '(program)') return 'V8 / native (program)';
  if (functionName === '(idle)') return 'idle';
  const pkg = /.*node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(url);
  if (pkg) return pkg[1] === '@grpc/grpc-js' ? 'grpc-js' : pkg[1].startsWith('@opentelemetry/') ? 'OpenTelemetry' : pkg[1];
  const own = repoPath(url);
  if (own?.startsWith('src/')) return 'grpc-resilience (src)';
  if (own?.startsWith('bench/')) return 'bench harness';
  // Apart from the rest of Node: what AsyncLocalStorage costs once it is in use (hooks on every
  // async resource and promise in Node 20).
  if (url === 'node:async_hooks' || url === 'node:internal/async_hooks') return 'Node async_hooks';
  if (url.startsWith('node:') || url === '') return 'Node core / builtins';
  return 'other';
}

function shortUrl(url: string): string {
  const pkg = /.*node_modules\/((?:@[^/]+\/)?[^/]+)\/(?:build\/(?:src\/)?|lib\/|dist\/)?(.*)$/.exec(url);
  return pkg ? `${pkg[1]}/${pkg[2]}` : (repoPath(url) ?? url);
}

export function summariseProfile(profile: CpuProfile, top = 25): ProfileSummary {
  const sampleCount = profile.samples?.length ?? profile.nodes.reduce((n, x) => n + (x.hitCount ?? 0), 0);
  const usPerSample = sampleCount > 0 ? (profile.endTime - profile.startTime) / sampleCount : 0;
  const areas = new Map<string, number>();
  const functions = new Map<string, { name: string; area: string; us: number }>();
  let busyUs = 0;
  for (const node of profile.nodes) {
    const hits = node.hitCount ?? 0;
    if (hits === 0) continue;
    const { functionName, url, lineNumber } = node.callFrame;
    const area = areaOf(url, functionName);
    if (area === 'idle') continue;
    const us = hits * usPerSample;
    busyUs += us;
    areas.set(area, (areas.get(area) ?? 0) + us);
    const name = `${functionName || '(anonymous)'}${url ? ` ${shortUrl(url)}:${lineNumber + 1}` : ''}`;
    const entry = functions.get(name) ?? { name, area, us: 0 };
    entry.us += us;
    functions.set(name, entry);
  }
  return {
    busyUs,
    areas: [...areas].map(([area, us]) => ({ area, us })).sort((a, b) => b.us - a.us),
    functions: [...functions.values()].sort((a, b) => b.us - a.us).slice(0, top),
  };
}
