import {
  Metadata,
  status as Status,
  type InterceptingListener,
  type InterceptorOptions,
  type NextCall,
  type StatusObject,
} from '@grpc/grpc-js';
import { runInCallContext, type CancellableContext } from '../context/scope';
import { markAttempts } from '../internal/client-marks';
import { deadlineOrInfinity } from '../internal/time';
import type { InterceptingCallInterface, MessageContext } from '../internal/grpc-types';
import { peerTarget } from '../internal/target';
import { RESILIENCE_CALL_OPTIONS, resilienceCallOptions } from '../options/call-options';
import { backoffDelayMs } from '../retry/backoff';
import { recordAttemptFailure, type RetryBudget } from '../retry/budget';
import type { RetryPolicy } from '../retry/policy';
import { ATTEMPTS_KEY, attemptMetadata } from '../retry/wire';
import { callRecordOf } from '../telemetry/call-record';
import { emitSafely } from '../telemetry/emit';
import type { GiveUpReason } from '../telemetry/events';
import { callTraceId } from '../trace/traceparent';
import { afterFailedAttempt, nextHedge, type HedgeStop } from './decide';
import { hedgeDelayMs } from './delay';
import type { LatencyWindow } from './latency-window';
import type { ResolvedHedgingOptions } from './options';
import type { ResolvedHedgingPolicy } from './policy';

/** One attempt of a hedged call: the listener of its `nextCall`, reporting to the call with itself. */
class Attempt implements InterceptingListener {
  call!: InterceptingCallInterface;
  /** Its own deadline, when the retry policy's per-attempt timeout made it earlier than the call's. */
  deadline = Infinity;
  /** Cancelled by us (it lost, or the call ended): what it reports is ignored. */
  abandoned = false;

  constructor(
    private readonly owner: HedgingCall,
    readonly number: number,
    readonly startedAt: number,
  ) {}

  onReceiveMetadata(metadata: Metadata): void {
    this.owner.attemptMetadata(this, metadata);
  }

  onReceiveMessage(message: unknown): void {
    this.owner.attemptMessage(this, message);
  }

  onReceiveStatus(status: StatusObject): void {
    this.owner.attemptStatus(this, status);
  }
}

const LOST = 'Hedged attempt cancelled: another attempt answered first';
const ENDED = 'Hedged attempt cancelled: the call ended with another attempt';

/**
 * One hedged call: attempts run side by side, each a fresh `nextCall` below us (with retries
 * turned off there, so each is one attempt). The first attempt to answer (response headers, a
 * message, or an OK status) wins: the others are cancelled, and from then on the call is that
 * attempt's. Until then a new attempt starts when the latest has gone unanswered for the hedge
 * delay (a hedge), or when every attempt failed and the retry rules allow another (a retry); both
 * count in one attempt count and draw from the retry budget.
 *
 * Unary and server-streaming calls only: the request is one message, replayed to every attempt.
 */
export class HedgingCall implements InterceptingCallInterface {
  private listener: Partial<InterceptingListener> | undefined;
  private metadata: Metadata | undefined;
  /** Attempts started and not yet ended. */
  private readonly inFlight: Attempt[] = [];
  private winner: Attempt | undefined;
  /** The first attempt while it may still tell the method's latency. */
  private first: Attempt | undefined;
  private attempts = 0;
  private hedges = 0;
  private stopped: HedgeStop | undefined;
  private hedgeTimer: NodeJS.Timeout | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private done = false;
  private cancelled = false;
  private cancelledBeforeStart: StatusObject | undefined;

  private request: unknown;
  private hasRequest = false;
  private halfClosed = false;
  private readStarted = false;

  private readonly deadline: number;
  /** What every attempt is created with: the call's options, with retries off below us. */
  private readonly attemptOptions: InterceptorOptions;
  private readonly window: LatencyWindow | undefined;
  private backoffRetries = 0;
  private previousDelayMs = 0;
  private target: string | undefined;
  private budget: RetryBudget | undefined;

  constructor(
    private readonly options: InterceptorOptions,
    private readonly nextCall: NextCall,
    private readonly shared: ResolvedHedgingOptions,
    private readonly policy: ResolvedHedgingPolicy,
    /** The call's retry policy; `maxAttempts` 1 when the call is not retried. */
    private readonly retryPolicy: RetryPolicy,
    /** The caller's call context, captured synchronously: later attempts re-enter it. */
    private readonly ctx: CancellableContext | undefined,
  ) {
    this.deadline = deadlineOrInfinity(options.deadline);
    const settings = resilienceCallOptions(options);
    this.attemptOptions = { ...options, [RESILIENCE_CALL_OPTIONS]: Object.freeze({ ...settings, retry: false }) } as InterceptorOptions;
    if (typeof policy.delay !== 'number') this.window = shared.latency.of(options.method_definition.path);
  }

  // ---- the call, as driven by the layers above -------------------------------------------

  start(metadata: Metadata, listener?: Partial<InterceptingListener>): void {
    this.listener = listener;
    this.metadata = metadata;
    if (this.cancelledBeforeStart) process.nextTick(finishCall, this, this.cancelledBeforeStart);
    else this.startAttempt();
  }

  sendMessageWithContext(context: MessageContext, message: unknown): void {
    if (this.done) {
      context.callback?.(); // the call is over: complete the write so a writer is not left waiting
      return;
    }
    if (this.winner) {
      this.winner.call.sendMessageWithContext(context, message);
      return;
    }
    this.request = message;
    this.hasRequest = true;
    const inFlight = this.inFlight;
    if (inFlight.length === 0) context.callback?.();
    for (let i = 0; i < inFlight.length; i++) {
      if (i === 0) inFlight[i].call.sendMessageWithContext(context, message);
      else inFlight[i].call.sendMessage(message);
    }
  }

  sendMessage(message: unknown): void {
    this.sendMessageWithContext({}, message);
  }

  halfClose(): void {
    if (this.done) return;
    this.halfClosed = true;
    if (this.winner) this.winner.call.halfClose();
    else for (const attempt of this.inFlight) attempt.call.halfClose();
  }

  startRead(): void {
    if (this.done) return;
    this.readStarted = true;
    if (this.winner) this.winner.call.startRead();
    else for (const attempt of this.inFlight) attempt.call.startRead();
  }

  cancelWithStatus(code: Status, details: string): void {
    if (this.done || this.cancelled) return;
    this.cancelled = true;
    this.clearTimers();
    if (this.inFlight.length > 0) {
      // The first of them to report its cancellation ends the call.
      for (const attempt of this.inFlight.slice()) attempt.call.cancelWithStatus(code, details);
      return;
    }
    const status: StatusObject = { code, details, metadata: new Metadata() };
    if (this.attempts === 0) this.cancelledBeforeStart = status;
    else {
      this.done = true;
      process.nextTick(finishCall, this, status);
    }
  }

  getPeer(): string {
    return this.latest()?.call.getPeer() ?? 'unknown';
  }

  getAuthContext(): ReturnType<InterceptingCallInterface['getAuthContext']> {
    return this.latest()?.call.getAuthContext() ?? null;
  }

  // ---- what the attempts report (Attempt forwards here) --------------------------------------

  /** (Internal.) */
  attemptMetadata(attempt: Attempt, metadata: Metadata): void {
    if (this.done) return;
    if (this.winner === undefined) this.commit(attempt);
    if (this.winner === attempt) this.listener?.onReceiveMetadata?.(metadata);
  }

  /** (Internal.) */
  attemptMessage(attempt: Attempt, message: unknown): void {
    if (this.done) return;
    // A unary attempt that fails delivers a placeholder message first: only an answer commits.
    if (this.winner === undefined && this.options.method_definition.responseStream) this.commit(attempt);
    if (this.winner === attempt) this.listener?.onReceiveMessage?.(message);
  }

  /** (Internal.) */
  attemptStatus(attempt: Attempt, status: StatusObject): void {
    if (attempt.abandoned) return;
    const index = this.inFlight.indexOf(attempt);
    if (index >= 0) this.inFlight.splice(index, 1);
    if (this.done) return;
    const method = this.options.method_definition.path;
    if (this.winner === attempt || this.cancelled) {
      if (status.code === Status.OK) this.budget?.recordSuccess();
      else recordAttemptFailure(this.budget, this.shared.retry.table, method, status.code, status.metadata);
      this.finish(status);
      return;
    }
    if (status.code === Status.OK) {
      // An answer without headers or a message (an empty stream, Trailers-Only).
      this.commit(attempt);
      this.budget?.recordSuccess();
      this.finish(status);
      return;
    }
    if (attempt === this.first) this.first = undefined; // a failure tells nothing about the latency
    recordAttemptFailure(this.budget, this.shared.retry.table, method, status.code, status.metadata);
    this.attemptFailed(attempt, status);
  }

  // ---- attempts --------------------------------------------------------------------------

  private startAttempt(): void {
    runInCallContext(this.ctx, launch, this);
  }

  /** Creates and starts one attempt, replaying what the caller has sent so far. (Internal.) */
  launchAttempt(): void {
    const shared = this.shared;
    const number = ++this.attempts;
    const attempt = new Attempt(this, number, shared.now());
    let options = this.attemptOptions;
    if (this.retryPolicy.perAttemptTimeoutMs !== Infinity) {
      const attemptDeadline = Math.floor(attempt.startedAt) + this.retryPolicy.perAttemptTimeoutMs;
      if (attemptDeadline < this.deadline) {
        attempt.deadline = attemptDeadline;
        options = { ...options, deadline: attemptDeadline };
      }
    }
    const call = this.nextCall(options);
    attempt.call = call;
    if (number === 1) {
      this.first = attempt;
      // Before start, grpc-js reports the channel target as the peer.
      this.target = shared.retry.target ?? peerTarget(call.getPeer());
      this.budget = shared.retry.budgetFor(this.target);
      this.budget?.recordRequest();
    }
    this.inFlight.push(attempt);
    call.start(attemptMetadata(this.metadata!, number), attempt);
    if (this.done || !this.inFlight.includes(attempt)) return; // ended during start
    if (number > 1) {
      if (this.hasRequest) call.sendMessage(this.request);
      if (this.halfClosed) call.halfClose();
      if (this.readStarted) call.startRead();
    }
    this.armHedge();
  }

  /** Arms the timer of the next hedge, counted from the attempt just started. */
  private armHedge(): void {
    this.clearHedgeTimer();
    const next = nextHedge(this.hedgeState(), hedgeDelayMs(this.policy.delay, this.window));
    if ('afterMs' in next) this.hedgeTimer = setTimeout(hedgeDue, next.afterMs, this);
  }

  /** The hedge delay passed with no answer. (Internal.) */
  hedgeDue(): void {
    this.hedgeTimer = undefined;
    if (this.done || this.winner !== undefined || this.inFlight.length === 0) return;
    const next = nextHedge(this.hedgeState(), 0);
    if ('stop' in next) return;
    const shared = this.shared;
    const method = this.options.method_definition.path;
    if (this.budget && !this.budget.tryAcquireRetry()) {
      this.stopped = 'budget';
      emitSafely(shared.onEvent, { type: 'budget-exhausted', method, target: this.target });
      return;
    }
    this.hedges++;
    const record = callRecordOf(this.options);
    if (record) record.hedges++;
    if (shared.onEvent) {
      const latest = this.inFlight[this.inFlight.length - 1];
      emitSafely(shared.onEvent, {
        type: 'hedge',
        method,
        target: this.target,
        attempt: this.attempts + 1,
        delayMs: shared.now() - latest.startedAt,
        traceId: this.traceId(),
      });
    }
    this.startAttempt();
  }

  private hedgeState() {
    return {
      attempts: this.attempts,
      maxAttempts: this.policy.maxAttempts,
      stopped: this.stopped,
      now: this.shared.now(),
      deadline: this.deadline,
    };
  }

  private attemptFailed(attempt: Attempt, status: StatusObject): void {
    const shared = this.shared;
    const retry = shared.retry;
    const method = this.options.method_definition.path;
    const policy = this.retryPolicy;
    const outcome = afterFailedAttempt(
      {
        code: status.code,
        metadata: status.metadata,
        attempts: this.attempts,
        committed: false,
        sent: true, // only idempotent calls are hedged: whether the request left does not matter
        attemptTimedOut: status.code === Status.DEADLINE_EXCEEDED && attempt.deadline !== Infinity,
      },
      {
        method,
        idempotent: true,
        table: retry.table,
        maxAttempts: policy.maxAttempts,
        maxPushbackMs: policy.maxPushbackMs,
        now: shared.now(),
        deadline: this.deadline,
        backoffMs: () => backoffDelayMs(policy, this.backoffRetries + 1, this.previousDelayMs, retry.random),
      },
      this.inFlight.length,
    );
    if (outcome.action === 'end') {
      this.giveUp(status, outcome.reason);
      return;
    }
    if (outcome.stop !== undefined) this.stopHedging(outcome.stop);
    if (outcome.action === 'wait') return;
    this.clearHedgeTimer();
    if (this.budget && !this.budget.tryAcquireRetry()) {
      emitSafely(shared.onEvent, { type: 'budget-exhausted', method, target: this.target });
      this.giveUp(status, 'budget');
      return;
    }
    this.scheduleRetry(outcome.delayMs, outcome.pushback, status.code);
  }

  private stopHedging(reason: HedgeStop): void {
    if (this.stopped === undefined) this.stopped = reason;
    this.clearHedgeTimer();
  }

  private scheduleRetry(delayMs: number, pushback: boolean, code: number): void {
    if (pushback) {
      // Pushback sets this delay and restarts the exponential sequence (gRFC A6).
      this.backoffRetries = 0;
      this.previousDelayMs = 0;
    } else {
      this.backoffRetries++;
      this.previousDelayMs = delayMs;
    }
    const record = callRecordOf(this.options);
    if (record) record.retryDelayMs += delayMs;
    const onEvent = this.shared.onEvent;
    if (onEvent) {
      const method = this.options.method_definition.path;
      const attempt = this.attempts + 1;
      emitSafely(onEvent, { type: 'retry', method, target: this.target, attempt, delayMs, code, pushback, traceId: this.traceId() });
    }
    // Not unref'd: a process awaiting this call must not exit mid-backoff. Always cleared when the
    // call ends, and never outlives the deadline.
    this.retryTimer = setTimeout(retryDue, delayMs, this);
  }

  /** The retry backoff passed. (Internal.) */
  retryDue(): void {
    this.retryTimer = undefined;
    if (!this.done) this.startAttempt();
  }

  private giveUp(status: StatusObject, reason: GiveUpReason): void {
    const onEvent = this.shared.onEvent;
    if (onEvent) {
      const method = this.options.method_definition.path;
      const { attempts, target } = this;
      emitSafely(onEvent, { type: 'give-up', method, target, attempts, code: status.code, reason, traceId: this.traceId() });
    }
    this.cancelOthers(undefined, ENDED);
    this.finish(status);
  }

  // ---- commit and end --------------------------------------------------------------------

  /** `attempt` answered first: it is the call from now on; the others are cancelled. */
  private commit(attempt: Attempt): void {
    this.winner = attempt;
    this.clearTimers();
    const first = this.first;
    if (first !== undefined && this.window !== undefined) {
      // The first attempt's time to answer, or, when a hedge beat it, how long it had run by then:
      // a lower bound that keeps slow first attempts above the percentile they exceeded.
      this.window.record(this.shared.now() - first.startedAt);
    }
    this.first = undefined;
    this.request = undefined;
    this.hasRequest = false;
    this.cancelOthers(attempt, LOST);
  }

  /** Cancels every attempt in flight but `keep`; what they report from now on is ignored. */
  private cancelOthers(keep: Attempt | undefined, details: string): void {
    const others = this.inFlight.filter((a) => a !== keep);
    if (others.length === 0) return;
    const keepInFlight = keep !== undefined && this.inFlight.includes(keep);
    this.inFlight.length = 0;
    if (keepInFlight) this.inFlight.push(keep);
    for (const attempt of others) {
      attempt.abandoned = true;
      attempt.call.cancelWithStatus(Status.CANCELLED, details);
    }
  }

  /** Ends the logical call with `status`. (Internal.) */
  finish(status: StatusObject): void {
    this.done = true;
    this.clearTimers();
    if (this.attempts > 1) {
      status.metadata.set(ATTEMPTS_KEY, String(this.attempts));
      markAttempts(status.metadata, this.attempts);
    }
    this.request = undefined;
    this.listener?.onReceiveStatus?.(status);
  }

  // ---- helpers -------------------------------------------------------------------------------

  private latest(): Attempt | undefined {
    return this.winner ?? this.inFlight[this.inFlight.length - 1];
  }

  private clearHedgeTimer(): void {
    if (this.hedgeTimer !== undefined) {
      clearTimeout(this.hedgeTimer);
      this.hedgeTimer = undefined;
    }
  }

  private clearTimers(): void {
    this.clearHedgeTimer();
    if (this.retryTimer !== undefined) {
      clearTimeout(this.retryTimer);
      this.retryTimer = undefined;
    }
  }

  private traceId(): string | undefined {
    return callTraceId(this.ctx, this.metadata);
  }
}

function launch(call: HedgingCall): void {
  call.launchAttempt();
}

function hedgeDue(call: HedgingCall): void {
  call.hedgeDue();
}

function retryDue(call: HedgingCall): void {
  call.retryDue();
}

function finishCall(call: HedgingCall, status: StatusObject): void {
  call.finish(status);
}
