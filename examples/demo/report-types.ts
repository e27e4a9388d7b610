import type { BreakerState } from '../../src';
import type { FaultCounters } from '../../src/testing';
import type { LogLine } from '../services/log';
import type { Phase } from './phases';

/** Latency of the profile calls as the demo client measured them (milliseconds). */
export interface LatencySummary {
  readonly p50: number;
  readonly p99: number;
  readonly max: number;
}

/** What the fault kit did to one service during a phase. */
export type InjectedFaults = Pick<FaultCounters, 'calls' | 'errors' | 'stalls' | 'delayed' | 'outage' | 'byCode'>;

export interface PhaseReport {
  readonly name: Phase['name'];
  readonly title: string;
  readonly expect: string;
  readonly durationMs: number;
  /** Profile requests sent by the demo client. */
  readonly requests: number;
  /** Complete profiles. */
  readonly ok: number;
  /** Profiles with default preferences (`degraded: true`). */
  readonly degraded: number;
  /** Requests for unknown users, answered NOT_FOUND (about 2 % of the plan, on purpose). */
  readonly notFound: number;
  /** Requests that failed: any other error status. */
  readonly failed: number;
  readonly failedByCode: Readonly<Record<string, number>>;
  /** Retries made, by the target retried: `profile` (by the demo client), `users`, `preferences` (by the profile service). */
  readonly retries: Readonly<Record<string, number>>;
  /** Fallback answers (degraded preferences), by why the call failed. */
  readonly fallbacks: Readonly<Record<string, number>>;
  /** Calls refused locally by an open breaker, by target. */
  readonly breakerRejects: Readonly<Record<string, number>>;
  readonly latencyMs: LatencySummary;
  readonly injected: { readonly users: InjectedFaults; readonly preferences: InjectedFaults };
}

export interface BreakerChange {
  /** Milliseconds since the first request. */
  readonly atMs: number;
  readonly phase: Phase['name'];
  readonly breaker: string;
  readonly from: BreakerState;
  readonly to: BreakerState;
}

/** A log line, timed from the first line of its trace. */
export type TraceLine = LogLine & { readonly atMs: number };

export interface FollowedTrace {
  readonly traceId: string;
  readonly phase: Phase['name'];
  readonly userId: string;
  /** Why this request was picked. */
  readonly why: string;
  readonly services: readonly string[];
  readonly lines: readonly TraceLine[];
}

export interface InternalErrorExample {
  readonly traceId: string;
  readonly phase: Phase['name'];
  readonly userId: string;
  /** The error-level lines the services logged for it (the original error included). */
  readonly serverLog: readonly LogLine[];
  /** Everything the demo client received. */
  readonly received: {
    readonly code: number;
    readonly codeName: string;
    readonly message: string;
    readonly details: readonly { readonly type: string; readonly value: unknown }[];
    readonly trailers: Readonly<Record<string, string>>;
  };
}

export interface LeakCheck {
  /** The fake secret the user service's internal bug puts in its error message. */
  readonly secret: string;
  /** Responses (successes and failures) the demo client received and searched. */
  readonly responsesChecked: number;
  /** Of those, responses containing the secret (0 expected). */
  readonly responsesLeaking: number;
  /** Log lines containing the secret, by service (only `users` expected: its own error log). */
  readonly logLinesBySecret: Readonly<Record<string, number>>;
}

export interface DemoReport {
  readonly version: 1;
  readonly seed: number;
  readonly options: { readonly requests: number; readonly concurrency: number; readonly durationMs: number };
  readonly durationMs: number;
  /** The whole run: `requests = ok + degraded + notFound + failed`. */
  readonly totals: {
    readonly requests: number;
    readonly ok: number;
    readonly degraded: number;
    readonly notFound: number;
    readonly failed: number;
    readonly retries: number;
  };
  readonly phases: readonly PhaseReport[];
  readonly breakerTimeline: readonly BreakerChange[];
  readonly trace: FollowedTrace | undefined;
  readonly internalError: InternalErrorExample | undefined;
  readonly leaks: LeakCheck;
  /**
   * The fault schedule: per method, the injected decision for each of its first 60 calls, in call
   * order, tagged with the phase number whose rules applied (`1:+2.1ms`, `2:UNAVAILABLE`,
   * `2:stall`, `?:pass`). The same seed gives the same decision for the same call number under
   * the same rules, however the calls were timed.
   */
  readonly faultSchedule: Readonly<Record<string, readonly string[]>>;
}
