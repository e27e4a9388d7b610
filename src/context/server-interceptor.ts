import * as grpc from '@grpc/grpc-js';
import { asServerInterceptingCall, ForwardingServerCall } from '../internal/forwarding-server-call';
import { deadlineOrInfinity } from '../internal/time';
import type { PartialServerStatus } from '../internal/grpc-types';
import { readIncomingTrace } from '../trace/incoming';
import { resolveTraceOptions, type ResolvedTraceOptions, type TraceOptions } from '../trace/options';
import { callContextStorage } from './scope';
import { ServerCallState } from './server-call-state';

/** A cancel this close to the deadline is the client's deadline timer, not a decision to give up. */
const DEADLINE_CANCEL_SLACK_MS = 25;

/**
 * The outermost server interceptor: establishes the call context (trace id, deadline, method,
 * cancellation signal) for the handler and everything it awaits, in all four call types, and
 * returns the trace id to the caller when it was assigned here, on errors, or always if configured.
 */
export function callContextServerInterceptor(options?: TraceOptions): grpc.ServerInterceptor {
  const resolved = resolveTraceOptions(options);
  return (descriptor, call) => asServerInterceptingCall(new ContextCall(descriptor.path, call, resolved));
}

/** Per-call state of the context interceptor. */
class ContextCall extends ForwardingServerCall {
  private state: ServerCallState | undefined;
  private echo = false;
  private echoed = false;
  private statusSent = false;

  constructor(
    private readonly method: string,
    inner: grpc.ServerInterceptingCallInterface,
    private readonly options: ResolvedTraceOptions,
  ) {
    super(inner);
  }

  override onReceiveMetadata(metadata: grpc.Metadata): void {
    const trace = readIncomingTrace(metadata, this.options);
    const state = new ServerCallState(trace.traceId, trace.traceFlags, this.method, deadlineOrInfinity(this.inner.getDeadline()), Date.now, metadata);
    this.state = state;
    this.echo = trace.assigned || this.options.alwaysEcho;
    callContextStorage.run(state, deliverMetadata, this, metadata);
  }

  override onReceiveMessage(message: unknown): void {
    if (this.state) callContextStorage.run(this.state, deliverMessage, this, message);
    else this.deliverMessage(message);
  }

  override onReceiveHalfClose(): void {
    if (this.state) callContextStorage.run(this.state, deliverHalfClose, this);
    else this.deliverHalfClose();
  }

  override onCancel(): void {
    // grpc-js calls onCancel at the end of every call; only an end without our status is a cancellation.
    const state = this.state;
    if (!this.statusSent && state) {
      // A client's own deadline timer fires slightly before ours (the timeout travelled): count a
      // cancel within the slack of the deadline as the deadline passing.
      state.cancel(state.deadline - Date.now() <= DEADLINE_CANCEL_SLACK_MS ? 'deadline' : 'cancelled');
    }
    super.onCancel();
  }

  override sendMetadata(metadata: grpc.Metadata): void {
    if (this.echo && this.state) {
      metadata.set(this.options.traceIdHeader, this.state.traceId);
      this.echoed = true;
    }
    super.sendMetadata(metadata);
  }

  override sendStatus(status: PartialServerStatus): void {
    super.sendStatus(this.addTrailers(status));
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

// Module-level, so running a step inside the context needs no closure per call.
function deliverMetadata(call: ContextCall, metadata: grpc.Metadata): void {
  call.deliverMetadata(metadata);
}

function deliverMessage(call: ContextCall, message: unknown): void {
  call.deliverMessage(message);
}

function deliverHalfClose(call: ContextCall): void {
  call.deliverHalfClose();
}
