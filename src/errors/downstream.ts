import { status, type Metadata } from '@grpc/grpc-js';
import { readRetryInfoMs } from '../details/read';
import { isKnownStatusCode, parseStatusCode, statusName } from '../status/codes';
import { localFailureKind, type LocalFailureKind } from '../status/local-failure';
import { numberOption, objectOption } from '../internal/validate';
import { PUSHBACK_KEY } from './status-builder';

/** A status received from an outgoing call: a grpc-js `ServiceError` (or its shape). */
export interface DownstreamStatus {
  readonly code: number;
  readonly details: string;
  readonly metadata: Metadata;
}

/** What the caller gets for a downstream code, unless overridden. */
export type DownstreamRule = number | 'by-deadline' | 'by-cancellation';

export interface DownstreamOptions {
  /**
   * Overrides of the propagation table: downstream code → code sent to the caller (numbers or
   * names, e.g. `{ NOT_FOUND: 'NOT_FOUND' }`). Defaults: UNAVAILABLE, RESOURCE_EXHAUSTED →
   * UNAVAILABLE; DEADLINE_EXCEEDED → by deadline; CANCELLED → by cancellation; others → INTERNAL.
   */
  readonly codes?: Readonly<Record<string | number, string | number>>;
  /**
   * A downstream DEADLINE_EXCEEDED becomes DEADLINE_EXCEEDED when the incoming call has at most
   * this many milliseconds left (else UNAVAILABLE). Default 50; keep it ≥ the client `deadline.marginMs`.
   */
  readonly deadlineMarginMs?: number;
}

export interface ResolvedDownstream {
  readonly rules: readonly DownstreamRule[];
  readonly deadlineMarginMs: number;
}

/** The default propagation table (issue: what a caller sees when a dependency fails). */
function defaultRule(code: number): DownstreamRule {
  switch (code) {
    case status.UNAVAILABLE:
    case status.RESOURCE_EXHAUSTED:
      return status.UNAVAILABLE;
    case status.DEADLINE_EXCEEDED:
      return 'by-deadline';
    case status.CANCELLED:
      return 'by-cancellation';
    default:
      return status.INTERNAL;
  }
}

export function resolveDownstreamOptions(value: unknown, name: string): ResolvedDownstream {
  const o = objectOption<DownstreamOptions>(name, value, ['codes', 'deadlineMarginMs']);
  const rules: DownstreamRule[] = Array.from({ length: 17 }, (_, code) => defaultRule(code));
  const codes: object = o.codes ?? {};
  if (typeof codes !== 'object' || codes === null || Array.isArray(codes)) {
    throw new TypeError(`${name}.codes must be an object like { NOT_FOUND: 'NOT_FOUND' }; got ${String(codes)}`);
  }
  for (const [key, target] of Object.entries(codes)) {
    const from = parseStatusCode(/^\d+$/.test(key) ? Number(key) : key);
    const to = parseStatusCode(target);
    if (from === undefined || from === status.OK) {
      throw new TypeError(`${name}.codes: "${key}" is not a non-OK gRPC status code (1–16 or a name like UNAVAILABLE)`);
    }
    if (to === undefined || to === status.OK) {
      throw new TypeError(`${name}.codes["${key}"] must be a non-OK gRPC status code (1–16 or a name); got ${String(target)}`);
    }
    rules[from] = to;
  }
  return {
    rules,
    deadlineMarginMs: numberOption(`${name}.deadlineMarginMs`, o.deadlineMarginMs, 50, 0, 60_000),
  };
}

/** A grpc-js `Metadata` (or one from another copy of grpc-js); never throws. */
export function isMetadataLike(value: unknown): value is Metadata {
  try {
    return (
      typeof value === 'object' &&
      value !== null &&
      typeof (value as Metadata).get === 'function' &&
      typeof (value as Metadata).getMap === 'function'
    );
  } catch {
    return false;
  }
}

/**
 * True for a status received from an outgoing call: grpc-js builds that `ServiceError` as an `Error`
 * with `code`, `details` and `metadata`. A plain `{ code, details, metadata }` is a status a handler
 * picked the grpc-js way, not a dependency's.
 */
export function isDownstreamStatus(value: unknown): value is DownstreamStatus {
  try {
    if (!(value instanceof Error)) return false;
    const v = value as Partial<DownstreamStatus>;
    return typeof v.code === 'number' && Number.isInteger(v.code) && typeof v.details === 'string' && isMetadataLike(v.metadata);
  } catch {
    return false; // a hostile object
  }
}

const MAX_CAUSE_DEPTH = 16;

/** The first error in `error`'s `cause` chain (itself included) that passes `test`; cycle-safe, bounded. */
function findInCauseChain<T extends object>(error: unknown, test: (value: object) => value is T): T | undefined {
  let current: unknown = error;
  const seen = new Set<unknown>();
  for (let depth = 0; depth < MAX_CAUSE_DEPTH; depth++) {
    if (typeof current !== 'object' || current === null || seen.has(current)) return undefined;
    if (test(current)) return current;
    seen.add(current);
    try {
      current = (current as { cause?: unknown }).cause;
    } catch {
      return undefined;
    }
  }
  return undefined;
}

/** The downstream status in `error` or its `cause` chain, if any. */
export function findDownstreamStatus(error: unknown): DownstreamStatus | undefined {
  return findInCauseChain(error, isDownstreamStatus);
}

/**
 * Names of what an aborted operation rejects with: `AbortError` (DOMException, Node's timers and
 * streams) and the reasons the call context's signal aborts with.
 */
const ABORT_NAMES = new Set(['AbortError', 'DeadlineExceededError']);

function isAbort(value: object): value is Error {
  return ABORT_NAMES.has((value as { name?: unknown }).name as string);
}

/**
 * The code for a handler that stopped on an abort (in its error or cause chain) once its own call
 * was over: DEADLINE_EXCEEDED when the incoming deadline is at most `deadlineMarginMs` away or past,
 * CANCELLED when the client cancelled. Undefined otherwise: an abort while the call is live is the
 * handler's own doing, an internal failure like any other.
 */
export function endedCallCode(error: unknown, incoming: IncomingCallState, config: ResolvedDownstream): number | undefined {
  let abort: Error | undefined;
  try {
    abort = findInCauseChain(error, isAbort);
  } catch {
    return undefined; // a hostile name getter
  }
  if (!abort) return undefined;
  if (incoming.deadline - incoming.now <= config.deadlineMarginMs) return status.DEADLINE_EXCEEDED;
  return incoming.cancelled ? status.CANCELLED : undefined;
}

/** What the incoming call looks like when a downstream failure is translated. */
export interface IncomingCallState {
  /** The incoming deadline, epoch ms (Infinity when none). */
  readonly deadline: number;
  /** True when the incoming call was cancelled (or its deadline passed) before the status. */
  readonly cancelled: boolean;
  readonly now: number;
}

export interface DownstreamOutcome {
  readonly code: number;
  /** RetryInfo delay to send (only with UNAVAILABLE, when the downstream gave one). */
  readonly retryDelayMs?: number;
  readonly localFailure?: LocalFailureKind;
}

/** The pushback or RetryInfo delay the downstream sent, in ms; undefined when none (or "stop"). */
function downstreamDelayMs(metadata: Metadata): number | undefined {
  const fromDetails = readRetryInfoMs(metadata);
  if (fromDetails !== undefined && fromDetails >= 0) return fromDetails;
  const pushback = metadata.get(PUSHBACK_KEY)[0];
  if (typeof pushback === 'string' && /^\d{1,9}$/.test(pushback)) return Number(pushback);
  return undefined;
}

/** Applies the propagation table to a downstream status. */
export function translateDownstream(
  downstream: DownstreamStatus,
  incoming: IncomingCallState,
  config: ResolvedDownstream,
): DownstreamOutcome {
  const localFailure = localFailureKind(downstream.metadata);
  const rule: DownstreamRule =
    localFailure === 'breaker-open'
      ? status.UNAVAILABLE
      : isKnownStatusCode(downstream.code)
        ? config.rules[downstream.code]
        : status.INTERNAL;
  let code: number;
  if (rule === 'by-deadline') {
    code = incoming.deadline - incoming.now <= config.deadlineMarginMs ? status.DEADLINE_EXCEEDED : status.UNAVAILABLE;
  } else if (rule === 'by-cancellation') {
    code = incoming.cancelled ? status.CANCELLED : status.INTERNAL;
  } else {
    code = rule;
  }
  const retryDelayMs = code === status.UNAVAILABLE ? downstreamDelayMs(downstream.metadata) : undefined;
  return { code, retryDelayMs, localFailure };
}

/** For logs: the downstream status with its trailers as a plain object. */
export function describeDownstream(downstream: DownstreamStatus): Record<string, unknown> {
  let trailers: Record<string, unknown> = {};
  try {
    trailers = downstream.metadata.getMap();
  } catch {
    // a Metadata look-alike without a working getMap
  }
  return { code: downstream.code, codeName: statusName(downstream.code), details: downstream.details, metadata: trailers };
}
