import {
  Metadata,
  status as Status,
  type InterceptingListener,
  type InterceptorOptions,
  type NextCall,
  type StatusObject,
} from '@grpc/grpc-js';
import { runInCallContext, type CancellableContext } from '../context/scope';
import type { InterceptingCallInterface, MessageContext } from '../internal/grpc-types';
import { deadlineOrInfinity } from '../internal/time';
import { peerTarget } from '../internal/target';
import { callRecordOf } from '../telemetry/call-record';
import { emitSafely } from '../telemetry/emit';
import type { GiveUpReason } from '../telemetry/events';
import { callTraceId } from '../trace/traceparent';
import { BackoffSequence } from './backoff';
import { decideRetry } from './decide';
import { recordAttemptFailure, type RetryBudget } from './budget';
import type { ResolvedRetryOptions } from './options';
import { isRetryableByCaller } from './one-tier';
import type { RetryPolicy } from './policy';
import { RequestReplay } from './request-replay';
import { warnDoubleRetry } from './service-config';
import { ATTEMPTS_KEY, PREVIOUS_ATTEMPTS_KEY, attemptMetadata } from './wire';
import { markAttempts } from '../internal/client-marks';

type State = 'idle' | 'attempt' | 'backoff' | 'done';

/**
 * One logical call made of one or more attempts, each a fresh `nextCall(options)` below us.
 * It is both the call the layers above drive and the listener of the live attempt (only one
 * attempt is ever live, and the next starts after the previous one's status).
 *
 * Success path: no timer, no trailer parsing, no per-call closure; the unary response is held
 * only until its status arrives (grpc-js delivers message then status), so a failed attempt's
 * placeholder message never reaches the caller.
 */
export class RetryingCall implements InterceptingCallInterface {
  private state: State = 'idle';
  private listener: Partial<InterceptingListener> | undefined;
  private metadata: Metadata | undefined;
  /** The latest attempt (live while state is 'attempt'). */
  private call: InterceptingCallInterface | undefined;
  /**
   * The attempt's peer before it started: grpc-js reports the channel target until the call is
   * given to a connection, then the server address. Unchanged at failure: the request never left.
   */
  private unsentPeer = '';
  private attempts = 0;
  private timer: NodeJS.Timeout | undefined;
  /** Response headers or a response message reached the caller, or replay is impossible. */
  private committed = false;
  private cancelled = false;
  /** A cancellation that came before `start`: delivered once there is a listener. */
  private cancelledBeforeStart: StatusObject | undefined;
  private halfClosed = false;
  private readStarted = false;

  /** The request of a unary-request call, resent by each attempt. */
  private request: unknown;
  private hasRequest = false;
  /** Client-streaming and bidi (bufferClientStreams): the messages each attempt is sent. */
  private readonly replay: RequestReplay | undefined;

  /** A unary response, held until its attempt's status says whether it is the answer. */
  private response: unknown;
  private hasResponse = false;

  /** The overall deadline (epoch ms): every attempt and backoff fits inside it. */
  private readonly deadline: number;
  /** This attempt's own deadline when `perAttemptTimeoutMs` made it earlier than the overall one. */
  private attemptDeadline = Infinity;
  /** Made at the first failure: the success path allocates nothing for it. */
  private backoff: BackoffSequence | undefined;
  /** The channel target (or the configured name) and its budget, known once the first attempt exists. */
  private target: string | undefined;
  private budget: RetryBudget | undefined;

  constructor(
    private readonly options: InterceptorOptions,
    private readonly nextCall: NextCall,
    private readonly shared: ResolvedRetryOptions,
    private readonly policy: RetryPolicy,
    /** The caller's call context, captured synchronously: later attempts re-enter it. */
    private readonly ctx: CancellableContext | undefined,
  ) {
    this.deadline = deadlineOrInfinity(options.deadline);
    if (options.method_definition.requestStream) {
      this.replay = new RequestReplay(shared.bufferMaxBytes, (message) => serializedSize(options, message));
    }
  }

  // ---- the call, as driven by the layers above -------------------------------------------

  start(metadata: Metadata, listener?: Partial<InterceptingListener>): void {
    this.listener = listener;
    this.metadata = metadata;
    if (this.cancelledBeforeStart) process.nextTick(deliverCancelled, this, this.cancelledBeforeStart);
    else this.startAttempt();
  }

  sendMessageWithContext(context: MessageContext, message: unknown): void {
    if (this.state === 'done') {
      context.callback?.(); // the call is over: complete the write so a writer is not left waiting
      return;
    }
    if (this.replay) {
      if (!this.replay.write(context, message)) this.commit(); // too big to replay
      return;
    }
    this.request = message;
    this.hasRequest = true;
    if (this.state === 'attempt') this.call?.sendMessageWithContext(context, message);
  }

  sendMessage(message: unknown): void {
    this.sendMessageWithContext({}, message);
  }

  halfClose(): void {
    if (this.state === 'done') return;
    this.halfClosed = true;
    if (this.replay) this.replay.halfClose();
    else if (this.state === 'attempt') this.call?.halfClose();
  }

  startRead(): void {
    if (this.state === 'done') return;
    this.readStarted = true;
    if (this.state === 'attempt') this.call?.startRead();
  }

  cancelWithStatus(code: Status, details: string): void {
    if (this.state === 'done') return;
    this.cancelled = true;
    if (this.state === 'attempt' && this.call) {
      // The attempt reports the cancellation as its status, which then ends the call.
      this.call.cancelWithStatus(code, details);
      return;
    }
    // Between attempts (or before the first): stop the pending backoff and end here.
    const status: StatusObject = { code, details, metadata: new Metadata() };
    const started = this.state !== 'idle';
    this.clearTimer();
    this.state = 'done';
    if (started) process.nextTick(deliverCancelled, this, status);
    else this.cancelledBeforeStart = status;
  }

  getPeer(): string {
    return this.call?.getPeer() ?? 'unknown';
  }

  getAuthContext(): ReturnType<InterceptingCallInterface['getAuthContext']> {
    return this.call?.getAuthContext() ?? null;
  }

  // ---- the live attempt's listener (one-argument methods: we start attempts ourselves) -------

  onReceiveMetadata(metadata: Metadata): void {
    if (this.state !== 'attempt') return;
    this.commit();
    this.listener?.onReceiveMetadata?.(metadata);
  }

  onReceiveMessage(message: unknown): void {
    if (this.state !== 'attempt') return;
    if (!this.options.method_definition.responseStream) {
      this.response = message;
      this.hasResponse = true;
      return;
    }
    this.commit();
    this.listener?.onReceiveMessage?.(message);
  }

  onReceiveStatus(status: StatusObject): void {
    if (this.state !== 'attempt') return;
    this.replay?.detach();
    if (status.code === Status.OK) {
      this.budget?.recordSuccess();
      this.finish(status);
    } else if (this.cancelled) {
      this.finish(status);
    } else {
      this.attemptFailed(status);
    }
  }

  // ---- attempts --------------------------------------------------------------------------

  private startAttempt(): void {
    this.state = 'attempt';
    this.attempts++;
    // Everything below us runs per attempt and may read the call context: run it in the caller's.
    runInCallContext(this.ctx, launch, this);
  }

  /** Creates and starts one attempt, replaying what the caller has sent so far. (Internal.) */
  launchAttempt(): void {
    const metadata = attemptMetadata(this.metadata!, this.attempts);
    let options = this.options;
    if (this.policy.perAttemptTimeoutMs !== Infinity) {
      const attemptDeadline = this.shared.now() + this.policy.perAttemptTimeoutMs;
      this.attemptDeadline = attemptDeadline < this.deadline ? attemptDeadline : Infinity;
      if (this.attemptDeadline !== Infinity) options = { ...options, deadline: attemptDeadline };
    }
    const call = this.nextCall(options);
    this.call = call;
    this.unsentPeer = call.getPeer();
    if (this.attempts === 1) {
      // Before start, grpc-js reports the channel target as the peer.
      this.target = this.shared.target ?? peerTarget(this.unsentPeer);
      this.budget = this.shared.budgetFor(this.target);
      this.budget?.recordRequest();
    }
    call.start(metadata, this);
    if (this.call !== call || this.state !== 'attempt') return; // ended during start
    this.replay?.attach(call);
    if (this.attempts === 1) return; // the caller sends (and reads) through us from here on
    if (this.hasRequest) call.sendMessage(this.request);
    if (this.halfClosed && !this.replay) call.halfClose();
    if (this.readStarted) call.startRead();
  }

  private attemptFailed(status: StatusObject): void {
    const shared = this.shared;
    const method = this.options.method_definition.path;
    const metadata = status.metadata;
    if (metadata.get(PREVIOUS_ATTEMPTS_KEY).length > 0) {
      warnDoubleRetry(`the channel retried ${method} itself (grpc-previous-rpc-attempts in the response): a service-config retryPolicy is active`);
    }
    const budget = this.budget;
    recordAttemptFailure(budget, shared.table, method, status.code, metadata);
    const now = shared.now();
    const decision = decideRetry(
      {
        code: status.code,
        metadata,
        attempts: this.attempts,
        committed: this.committed,
        sent: this.call?.getPeer() !== this.unsentPeer,
        attemptTimedOut: status.code === Status.DEADLINE_EXCEEDED && this.attemptDeadline !== Infinity,
      },
      {
        method,
        idempotent: this.policy.idempotent,
        table: shared.table,
        maxAttempts: this.policy.maxAttempts,
        maxPushbackMs: this.policy.maxPushbackMs,
        now,
        deadline: this.deadline,
        backoffMs: () => this.backoffSequence().nextDelayMs(),
      },
    );
    if (!decision.retry) {
      this.giveUp(status, decision.reason, status.code);
    } else if (budget && !budget.tryAcquireRetry()) {
      emitSafely(shared.onEvent, { type: 'budget-exhausted', method, target: this.target });
      this.giveUp(status, 'budget', status.code);
    } else {
      this.scheduleRetry(decision.delayMs, decision.pushback, status.code);
    }
  }

  private scheduleRetry(delayMs: number, pushback: boolean, code: number): void {
    this.state = 'backoff';
    // Drop the failed attempt's placeholder response (grpc-js sends null before a failure).
    this.response = undefined;
    this.hasResponse = false;
    this.backoffSequence().waited(delayMs, pushback);
    const shared = this.shared;
    const record = callRecordOf(this.options);
    if (record) record.retryDelayMs += delayMs;
    if (shared.onEvent) {
      emitSafely(shared.onEvent, {
        type: 'retry',
        method: this.options.method_definition.path,
        target: this.target,
        attempt: this.attempts + 1,
        delayMs,
        code,
        pushback,
        traceId: this.traceId(),
      });
    }
    // Not unref'd: a process awaiting this call must not exit mid-backoff. It is always cleared
    // on cancellation and never outlives the deadline.
    this.timer = setTimeout(backoffEnded, delayMs, this);
  }

  /** The backoff timer fired. (Internal.) */
  backoffEnded(): void {
    this.timer = undefined;
    if (this.state === 'backoff') this.startAttempt();
  }

  private giveUp(status: StatusObject, reason: GiveUpReason, lastCode: number): void {
    const shared = this.shared;
    // This tier has dealt with the failure: the caller of the call we serve must not retry on top.
    const ctx = this.ctx;
    if (ctx?.noteRetriedOutgoingFailure && isRetryableByCaller(lastCode, shared.table, this.options.method_definition.path)) {
      ctx.noteRetriedOutgoingFailure();
    }
    if (shared.onEvent) {
      emitSafely(shared.onEvent, {
        type: 'give-up',
        method: this.options.method_definition.path,
        target: this.target,
        attempts: this.attempts,
        code: lastCode,
        reason,
        traceId: this.traceId(),
      });
    }
    this.finish(status);
  }

  /** Ends the logical call with `status` (the last attempt's, normally). (Internal.) */
  finish(status: StatusObject): void {
    this.state = 'done';
    this.clearTimer();
    if (this.attempts > 1) {
      status.metadata.set(ATTEMPTS_KEY, String(this.attempts));
      markAttempts(status.metadata, this.attempts);
    }
    const listener = this.listener;
    const hasResponse = this.hasResponse;
    const response = this.response;
    this.request = this.response = undefined;
    this.replay?.release();
    if (hasResponse) listener?.onReceiveMessage?.(response);
    listener?.onReceiveStatus?.(status);
  }

  // ---- commit ---------------------------------------------------------------------------------

  /** No more attempts: what the caller has seen cannot be taken back. */
  private commit(): void {
    if (this.committed) return;
    this.committed = true;
    this.request = undefined;
    this.hasRequest = false;
    this.replay?.commit();
  }

  // ---- helpers -------------------------------------------------------------------------------

  private backoffSequence(): BackoffSequence {
    return (this.backoff ??= new BackoffSequence(this.policy, this.shared.random));
  }

  private clearTimer(): void {
    if (this.timer !== undefined) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
  }

  private traceId(): string | undefined {
    return callTraceId(this.ctx, this.metadata);
  }
}

function launch(call: RetryingCall): void {
  call.launchAttempt();
}

function backoffEnded(call: RetryingCall): void {
  call.backoffEnded();
}

function deliverCancelled(call: RetryingCall, status: StatusObject): void {
  call.finish(status);
}

function serializedSize(options: InterceptorOptions, message: unknown): number {
  try {
    return options.method_definition.requestSerialize(message).length;
  } catch {
    return Infinity; // the attempt fails on it anyway; do not keep it for replay
  }
}
