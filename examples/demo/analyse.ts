import type * as grpc from '@grpc/grpc-js';
import type { LogLine } from '../services/log';
import type { LogCollector } from './collect';
import type { Phase } from './phases';
import type { FollowedTrace, LatencySummary, TraceLine } from './report-types';

/** One profile request of the run. */
export interface RequestRecord {
  readonly traceId: string;
  readonly userId: string;
  readonly phase: Phase['name'];
  /** `ok`, `degraded`, or the code name it failed with. */
  outcome: string;
}

const THREE_SERVICES = ['users', 'preferences', 'profile'];

/** Nearest-rank percentiles, rounded to 0.1 ms. */
export function latencySummary(samples: readonly number[]): LatencySummary {
  if (samples.length === 0) return { p50: 0, p99: 0, max: 0 };
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q: number) => round(sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)]);
  return { p50: at(0.5), p99: at(0.99), max: round(sorted[sorted.length - 1]) };
}

function round(ms: number): number {
  return Math.round(ms * 10) / 10;
}

/** Metadata as text, binary values included, to search it for anything that should not be there. */
export function metadataText(metadata: grpc.Metadata): string {
  return Object.entries(metadata.getMap())
    .map(([key, value]) => `${key}: ${typeof value === 'string' ? value : value.toString('latin1')}`)
    .join('\n');
}

/** Trailers for a report: binary values as their size. */
export function readableTrailers(metadata: grpc.Metadata): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(metadata.getMap())) out[key] = typeof value === 'string' ? value : `<${value.length} bytes>`;
  return out;
}

/**
 * Picks one request to follow through the logs: preferably one in the flaky phase whose user-service
 * call was hit by a fault and retried, and that still succeeded; else any complete request.
 */
export function followOneTrace(records: readonly RequestRecord[], logs: LogCollector): FollowedTrace | undefined {
  const touchesAll = (lines: readonly LogLine[]) => THREE_SERVICES.every((s) => lines.some((l) => l.service === s));
  const retriedAfterFault = (lines: readonly LogLine[]) =>
    lines.some((l) => l.service === 'users' && l.event === 'fault' && l.level === 'info') &&
    lines.some((l) => l.service === 'profile' && l.event === 'retry');
  const choices: { why: string; accept: (r: RequestRecord, lines: readonly LogLine[]) => boolean }[] = [
    {
      why: 'a user-service attempt failed (injected fault), the profile service retried it, the request succeeded',
      accept: (r, lines) => r.phase === 'flaky-users' && r.outcome === 'ok' && retriedAfterFault(lines) && touchesAll(lines),
    },
    { why: 'a complete profile', accept: (r, lines) => r.outcome === 'ok' && touchesAll(lines) },
  ];
  for (const { why, accept } of choices) {
    for (const record of records) {
      const lines = logs.byTrace.get(record.traceId);
      if (!lines || !accept(record, lines)) continue;
      const first = lines[0].time;
      return {
        traceId: record.traceId,
        phase: record.phase,
        userId: record.userId,
        why,
        services: [...new Set(lines.map((l) => l.service))],
        lines: lines.map((line): TraceLine => ({ ...line, atMs: line.time - first })),
      };
    }
  }
  return undefined;
}

/** The lines the error translators wrote for one failed request (the original error included). */
export function internalErrorLines(logs: LogCollector, traceId: string): LogLine[] {
  return (logs.byTrace.get(traceId) ?? []).filter((line) => line.level === 'error' && 'kind' in line);
}
