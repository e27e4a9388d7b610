import * as grpc from '@grpc/grpc-js';
import { callContextStorage } from '../context/scope';
import { emitSafely } from './emit';
import type { EventHandler } from './events';

/**
 * Reports every served call's end. A status grpc-js generates itself (its deadline timer, a client
 * cancel) never reaches `sendStatus`, so `onCancel` without a sent status reports those.
 */
export function callObserverServerInterceptor(onEvent: EventHandler): grpc.ServerInterceptor {
  return (descriptor, call) => {
    const started = performance.now();
    let traceId: string | undefined;
    let reported = false;
    const report = (code: number) => {
      if (reported) return;
      reported = true;
      emitSafely(onEvent, {
        type: 'call-end',
        side: 'server',
        method: descriptor.path,
        code,
        durationMs: performance.now() - started,
        attempts: 1,
        traceId,
      });
    };
    return new grpc.ServerInterceptingCall(call, {
      start: (next) =>
        next({
          onReceiveMetadata: (md, nextMd) => {
            traceId = callContextStorage.getStore()?.traceId;
            nextMd(md);
          },
          onCancel: () => {
            if (reported) return;
            const deadline = call.getDeadline();
            const expired = (deadline instanceof Date ? deadline.getTime() : deadline) <= Date.now();
            report(expired ? grpc.status.DEADLINE_EXCEEDED : grpc.status.CANCELLED);
          },
        }),
      sendStatus: (status, next) => {
        report(status.code);
        next(status);
      },
    });
  };
}
