import type { EventHandler, ResilienceEvent } from './events';
import { emitPackageWarning, printable } from '../internal/printable';

let reportedHandlerFailure = false;

/**
 * Calls `handler` with `event`, swallowing anything it throws: observability must never change
 * a call's outcome. The first failure is reported once as a process warning.
 */
export function emitSafely(handler: EventHandler | undefined, event: ResilienceEvent): void {
  if (handler === undefined) return;
  try {
    handler(event);
  } catch (error) {
    if (!reportedHandlerFailure) {
      reportedHandlerFailure = true;
      emitPackageWarning(`grpc-resilience: an event handler threw (${printable(error)}); further failures are ignored silently`);
    }
  }
}

/** Combines handlers into one (undefined when there are none). */
export function combineHandlers(...handlers: Array<EventHandler | undefined>): EventHandler | undefined {
  const list = handlers.filter((h): h is EventHandler => typeof h === 'function');
  if (list.length === 0) return undefined;
  if (list.length === 1) return list[0];
  return (event) => {
    for (const h of list) emitSafely(h, event);
  };
}
