import * as grpc from '@grpc/grpc-js';
import type { PartialServerStatus } from '../internal/grpc-types';
import { readIncomingTrace } from '../trace/incoming';
import { resolveTraceOptions, type ResolvedTraceOptions, type TraceOptions } from '../trace/options';
import { callContextStorage } from './scope';
import { ServerCallState } from './server-call-state';

/** A cancel this close to the deadline is the client's deadline timer, not a decision to give up. */
const DEADLINE_CANCEL_SLACK_MS = 25;

/** Epoch ms of a grpc-js deadline (Infinity when the caller set none). */
function deadlineMs(deadline: grpc.Deadline): number {
  const ms = deadline instanceof Date ? deadline.getTime() : deadline;
  return Number.isFinite(ms) ? ms : Infinity;
}

/**
 * The outermost server interceptor: establishes the call context (trace id, deadline, method,
 * cancellation signal) for the handler and everything it awaits, in all four call types, and
 * returns the trace id to the caller when it was assigned here, on errors, or always if configured.
 */
export function callContextServerInterceptor(options?: TraceOptions): grpc.ServerInterceptor {
  const resolved = resolveTraceOptions(options);
  return (descriptor, call) => new ContextCall(descriptor.path, call, resolved).intercepting;
}

/** Per-call state of the context interceptor. */
class ContextCall {
  readonly intercepting: grpc.ServerInterceptingCall;
  private state: ServerCallState | undefined;
  private echo = false;
  private echoed = false;
  private statusSent = false;

  constructor(
    private readonly method: string,
    private readonly call: grpc.ServerInterceptingCallInterface,
    private readonly options: ResolvedTraceOptions,
  ) {
    this.intercepting = new grpc.ServerInterceptingCall(call, {
      start: (next) => next(this.listener),
      sendMetadata: (metadata, next) => next(this.addHeaders(metadata)),
      sendStatus: (status, next) => next(this.addTrailers(status)),
    });
  }

  private readonly listener: grpc.ServerListener = {
    onReceiveMetadata: (metadata, next) => {
      const trace = readIncomingTrace(metadata, this.options);
      const state = new ServerCallState(trace.traceId, trace.traceFlags, this.method, deadlineMs(this.call.getDeadline()));
      this.state = state;
      this.echo = trace.assigned || this.options.alwaysEcho;
      callContextStorage.run(state, next, metadata);
    },
    onReceiveMessage: (message, next) => {
      if (this.state) callContextStorage.run(this.state, next, message);
      else next(message);
    },
    onReceiveHalfClose: (next) => {
      if (this.state) callContextStorage.run(this.state, next);
      else next();
    },
    onCancel: () => {
      // grpc-js calls onCancel at the end of every call; only an end without our status is a cancellation.
      if (this.statusSent || !this.state) return;
      // A client's own deadline timer fires slightly before ours (the timeout travelled): count a
      // cancel within the slack of the deadline as the deadline passing.
      this.state.cancel(this.state.deadline - Date.now() <= DEADLINE_CANCEL_SLACK_MS ? 'deadline' : 'cancelled');
    },
  };

  private addHeaders(metadata: grpc.Metadata): grpc.Metadata {
    if (this.echo && this.state) {
      metadata.set(this.options.traceIdHeader, this.state.traceId);
      this.echoed = true;
    }
    return metadata;
  }

  private addTrailers(status: PartialServerStatus): PartialServerStatus {
    this.statusSent = true;
    const state = this.state;
    if (!state) return status;
    state.finish();
    if (!this.echoed && (this.echo || status.code !== grpc.status.OK)) {
      const metadata = status.metadata ?? new grpc.Metadata();
      metadata.set(this.options.traceIdHeader, state.traceId);
      return { ...status, metadata };
    }
    return status;
  }
}
