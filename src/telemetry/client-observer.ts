import * as grpc from '@grpc/grpc-js';
import { parseTraceParent } from '../trace/traceparent';
import { CALL_RECORD, callRecordOf, type CallRecord } from './call-record';
import { emitSafely } from './emit';
import type { EventHandler } from './events';

/**
 * Reports every logical call's end (code, duration, attempts, trace id). Sits just inside the
 * trace interceptor; the stack adds it only when events are observed.
 */
export function callObserverClientInterceptor(onEvent: EventHandler, target?: string): grpc.Interceptor {
  return (options, nextCall) => {
    const record: CallRecord = { attempts: 0, retryDelayMs: 0 };
    const started = performance.now();
    const method = options.method_definition.path;
    let metadata: grpc.Metadata | undefined;
    return new grpc.InterceptingCall(nextCall({ ...options, [CALL_RECORD]: record } as grpc.InterceptorOptions), {
      start: (md, _listener, next) => {
        metadata = md;
        next(md, {
          onReceiveStatus: (status, nextStatus) => {
            emitSafely(onEvent, {
              type: 'call-end',
              side: 'client',
              method,
              target,
              code: status.code,
              durationMs: performance.now() - started,
              attempts: record.attempts,
              retryDelayMs: record.retryDelayMs,
              traceId: parseTraceParent(metadata?.get('traceparent')[0])?.traceId,
            });
            nextStatus(status);
          },
        });
      },
    });
  };
}

/**
 * Innermost: times each attempt and counts it in the call record (so `attempts` is right with
 * or without the retry interceptor).
 */
export function attemptObserverClientInterceptor(onEvent: EventHandler, target?: string): grpc.Interceptor {
  return (options, nextCall) => {
    const record = callRecordOf(options);
    const method = options.method_definition.path;
    let started = 0;
    let attempt = 1;
    return new grpc.InterceptingCall(nextCall(options), {
      // Counted at start: a call failed locally (breaker open, no time left) is created but never started.
      start: (md, _listener, next) => {
        if (record) attempt = ++record.attempts;
        started = performance.now();
        next(md, {
          onReceiveStatus: (status, nextStatus) => {
            emitSafely(onEvent, {
              type: 'attempt-end',
              method,
              target,
              attempt,
              code: status.code,
              durationMs: performance.now() - started,
            });
            nextStatus(status);
          },
        });
      },
    });
  };
}
