import type { EventHandler, ResilienceEvent } from '../../src/index';
import type { SystemVariant } from './variants';

/** Per-call events, too many to be worth a count. */
const PER_CALL = new Set<string>(['call-end', 'attempt-end']);

/** The key an event is counted under: its type, with the new state or reason where it has one. */
export function eventKey(event: ResilienceEvent): string | undefined {
  if (PER_CALL.has(event.type)) return undefined;
  if (event.type === 'breaker-state') return `breaker-${event.to}`;
  if (event.type === 'give-up') return `give-up:${event.reason}`;
  return event.type;
}

/** Counts our stack's events in one process (what retried, gave up, opened or shed). */
export class EventCounter {
  private readonly byKey = new Map<string, number>();

  /** The onEvent handler for a variant's stack: ours only (the other variants have no events). */
  handler(variant: SystemVariant): EventHandler | undefined {
    if (variant.stack !== 'ours') return undefined;
    return (event) => {
      const key = eventKey(event);
      if (key !== undefined) this.byKey.set(key, (this.byKey.get(key) ?? 0) + 1);
    };
  }

  clear(): void {
    this.byKey.clear();
  }

  counts(): Record<string, number> {
    return Object.fromEntries(this.byKey);
  }
}
