import type { Metadata } from '@grpc/grpc-js';
import { criticalityOf, type Criticality } from '../criticality/criticality';
import type { CancelReason } from './call-context';
import type { CancellableContext, Unsubscribe } from './scope';
import { MAX_TIMER_MS } from '../internal/time';


/**
 * The context of one incoming call. Its AbortSignal and deadline timer are created only when
 * a handler reads `signal`; cancellation listeners only when an outgoing call links to it.
 */
export class ServerCallState implements CancellableContext {
  private controller: AbortController | undefined;
  private timer: NodeJS.Timeout | undefined;
  private listeners: Set<(reason: CancelReason) => void> | undefined;
  private cancelReason: CancelReason | undefined;
  private done = false;
  private retriedOutgoing = false;

  constructor(
    readonly traceId: string,
    readonly traceFlags: number,
    readonly method: string,
    readonly deadline: number,
    private readonly now: () => number = Date.now,
    /** The criticality, or the incoming headers to read it from when someone asks. */
    private readonly marked?: Criticality | Metadata,
  ) {}

  get criticality(): Criticality | undefined {
    const marked = this.marked;
    return marked === undefined || typeof marked === 'string' ? marked : criticalityOf(marked);
  }

  get finished(): boolean {
    return this.done;
  }

  get signal(): AbortSignal {
    if (this.controller) return this.controller.signal;
    const controller = new AbortController();
    this.controller = controller;
    if (this.cancelReason) {
      controller.abort(abortReason(this.cancelReason));
    } else if (!this.done && this.deadline !== Infinity) {
      const left = this.deadline - this.now();
      if (left <= 0) {
        this.cancel('deadline');
      } else if (left <= MAX_TIMER_MS) {
        // Further away than a timer can hold: never timed.
        this.timer = setTimeout(() => this.cancel('deadline'), left);
        this.timer.unref();
      }
    }
    return controller.signal;
  }

  get retriedOutgoingFailure(): boolean {
    return this.retriedOutgoing;
  }

  noteRetriedOutgoingFailure(): void {
    this.retriedOutgoing = true;
  }

  onCancel(listener: (reason: CancelReason) => void): Unsubscribe | undefined {
    if (this.done) return undefined;
    (this.listeners ??= new Set()).add(listener);
    return () => this.listeners?.delete(listener);
  }

  /** The client cancelled or the deadline passed: abort the signal and linked outgoing calls. */
  cancel(reason: CancelReason): void {
    if (this.done) return;
    this.done = true;
    this.cancelReason = reason;
    this.clearTimer();
    this.controller?.abort(abortReason(reason));
    const listeners = this.listeners;
    this.listeners = undefined;
    if (listeners) for (const listener of listeners) listener(reason);
  }

  /** The response was sent: later outgoing calls are background work and are not linked. */
  finish(): void {
    if (this.done) return;
    this.done = true;
    this.clearTimer();
    this.listeners = undefined;
  }

  private clearTimer(): void {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
  }
}

function abortReason(reason: CancelReason): Error {
  const error = new Error(reason === 'deadline' ? 'the call deadline passed' : 'the call was cancelled by the client');
  error.name = reason === 'deadline' ? 'DeadlineExceededError' : 'AbortError';
  return error;
}
