import * as grpc from '@grpc/grpc-js';
import { callContextStorage, type CancellableContext } from '../context/scope';
import { asServerInterceptingCall, ForwardingServerCall } from '../internal/forwarding-server-call';
import type { PartialServerStatus } from '../internal/grpc-types';
import { statusName } from '../status/codes';
import { emitSafely } from '../telemetry/emit';
import { newTraceId } from '../trace/ids';
import { describeDownstream } from './downstream';
import { takeFailure, type FailureRecord } from './failure-record';
import { genericText, withTraceId } from './generic-messages';
import type { ErrorLogFields } from './logger';
import { resolveErrorTranslationOptions, type ErrorTranslationOptions, type ResolvedErrorTranslation } from './options';
import { buildStatus, serviceOfPath } from './status-builder';
import { translateFailure, type Translation } from './translate';
import { deadlineOrInfinity } from '../internal/time';

/**
 * Turns every failed call into a safe status: PublicErrors (and mapped errors) pass with their code,
 * message and details; downstream failures follow the propagation table; statuses picked the grpc-js
 * way keep an exposable code with a generic message; anything else becomes INTERNAL with a generic
 * message carrying the trace id. Error trailers are reduced to the allow-list plus the trace id, and
 * the original error is logged once. Place it innermost (after the call-context interceptor).
 */
export function errorTranslationServerInterceptor(options?: ErrorTranslationOptions): grpc.ServerInterceptor {
  const config = resolveErrorTranslationOptions(options);
  return (descriptor, call) => asServerInterceptingCall(new TranslatingCall(descriptor.path, call, config));
}

/**
 * grpc-js ends every successful call with code 0 and the message `OK`. Code 0 with another message
 * is what grpc-js makes of a handler's error whose `code` is 0: a failure, translated like any other.
 */
function isSuccess(status: PartialServerStatus): boolean {
  return status.code === grpc.status.OK && status.details === 'OK';
}

/** Per-call state: nothing is computed unless the call fails. */
class TranslatingCall extends ForwardingServerCall {
  private requestMetadata: grpc.Metadata | undefined;
  private context: CancellableContext | undefined;
  /** onCancel before our status means the call was cancelled or timed out (it also fires after every status). */
  private ended = false;
  private sent: PartialServerStatus | undefined;

  constructor(
    private readonly method: string,
    private readonly call: grpc.ServerInterceptingCallInterface,
    private readonly config: ResolvedErrorTranslation,
  ) {
    super(call);
  }

  override onReceiveMetadata(metadata: grpc.Metadata): void {
    // The handler sees this same object as call.metadata: wrapService files failures under it.
    this.requestMetadata = metadata;
    this.context = callContextStorage.getStore();
    super.onReceiveMetadata(metadata);
  }

  override onCancel(): void {
    this.ended = true;
    super.onCancel();
  }

  override sendStatus(status: PartialServerStatus): void {
    super.sendStatus(isSuccess(status) ? status : this.translate(status));
  }

  private translate(sentStatus: PartialServerStatus): PartialServerStatus {
    // A second status (a handler answering twice) gets the first one's safe form, unlogged.
    if (this.sent) return this.sent;
    const record = takeFailure(this.requestMetadata);
    // What the handler picked, when wrapService answered with a safe status in its place.
    const status = record?.status ?? sentStatus;
    const traceId = this.context?.traceId ?? newTraceId();
    const cancelled = this.ended;
    let translation: Translation;
    try {
      translation = translateFailure(
        { record, status },
        {
          method: this.method,
          traceId,
          incoming: { deadline: this.incomingDeadline(), cancelled, now: this.config.now() },
          retriedOutgoing: this.context?.retriedOutgoingFailure === true,
          config: this.config,
        },
      );
    } catch {
      // Hostile error objects (throwing getters, proxies) must not break the call.
      translation = {
        status: buildStatus(grpc.status.INTERNAL, withTraceId(genericText(grpc.status.INTERNAL), traceId), [], {
          traceId,
          domain: this.config.domain ?? serviceOfPath(this.method),
        }),
        kind: 'internal',
        level: 'error',
      };
    }
    const metadata = translation.status.metadata;
    this.copyAllowedTrailers(status.metadata, metadata);
    metadata.set(this.config.traceIdHeader, traceId);
    const sent: PartialServerStatus = { code: translation.status.code, details: translation.status.details, metadata };
    this.sent = sent;
    this.report(translation, record, status, traceId, cancelled);
    return sent;
  }

  private incomingDeadline(): number {
    try {
      return deadlineOrInfinity(this.call.getDeadline());
    } catch {
      return Infinity;
    }
  }

  private copyAllowedTrailers(from: grpc.Metadata | null | undefined, to: grpc.Metadata): void {
    if (!from || this.config.allowedTrailers.size === 0 || typeof from.get !== 'function') return;
    try {
      for (const key of this.config.allowedTrailers) {
        for (const value of from.get(key)) to.add(key, value);
      }
    } catch {
      // not a real Metadata (a hand-made error's `metadata`): nothing to keep
    }
  }

  private report(
    translation: Translation,
    record: FailureRecord | undefined,
    status: PartialServerStatus,
    traceId: string,
    cancelled: boolean,
  ): void {
    const code = translation.status.code;
    if (this.config.log) {
      // The status grpc-js produced says something only when the handler did not throw (wrapService
      // answers a throw with a safe placeholder of its own).
      const statusTellsSomething = !record || record.origin === 'callback';
      const fields: ErrorLogFields = {
        traceId,
        method: this.method,
        code,
        codeName: statusName(code),
        kind: translation.kind,
        ...(record && record.error !== undefined ? { err: record.error } : {}),
        ...(statusTellsSomething
          ? { grpcStatus: { code: status.code, details: typeof status.details === 'string' ? status.details : '' } }
          : {}),
        ...(translation.downstream ? { downstream: describeDownstream(translation.downstream) } : {}),
        ...(cancelled ? { cancelled: true } : {}),
      };
      const what = cancelled ? 'failed after the call was cancelled' : `failed; sent ${statusName(code)}`;
      // An error after the client went away is routine: log it, but not as an error.
      this.config.log(cancelled ? 'info' : translation.level, fields, `${this.method} ${what} (${translation.kind}, trace id ${traceId})`);
    }
    emitSafely(this.config.onEvent, {
      type: 'error-translated',
      method: this.method,
      traceId,
      kind: translation.kind,
      fromCode: translation.fromCode,
      toCode: code,
    });
  }
}
