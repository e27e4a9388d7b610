import { statusName } from '../../src';
import type { FaultEvent, FaultCounters } from '../../src/testing';
import type { LogLine } from '../services/log';
import type { InjectedFaults } from './report-types';

/** Traces kept in full; later traces are dropped (a default run has about 2,000). */
const MAX_TRACES = 20_000;
/** Lines without a trace id kept (breaker changes and the like). */
const MAX_UNTRACED = 1_000;

/** Keeps the log lines of every service, grouped by trace id. */
export class LogCollector {
  readonly byTrace = new Map<string, LogLine[]>();
  readonly untraced: LogLine[] = [];

  readonly add = (line: LogLine): void => {
    const traceId = line.trace_id;
    if (traceId === undefined) {
      if (this.untraced.length < MAX_UNTRACED) this.untraced.push(line);
      return;
    }
    const lines = this.byTrace.get(traceId);
    if (lines) lines.push(line);
    else if (this.byTrace.size < MAX_TRACES) this.byTrace.set(traceId, [line]);
  };

  *lines(): Iterable<LogLine> {
    for (const lines of this.byTrace.values()) yield* lines;
    yield* this.untraced;
  }
}

/** How many first calls per method the schedule lists. */
const SCHEDULE_LENGTH = 60;

/**
 * Records the seeded fault decisions by method and call number (outages use no numbers), each
 * tagged with the phase whose rules it was drawn under: `2:UNAVAILABLE` is call n of the method,
 * in phase 2, failed with UNAVAILABLE. A call the kit let through untouched is `?:pass` (it
 * reports only faults, so its phase is unknown).
 */
export class FaultSchedule {
  private readonly byMethod = new Map<string, Map<number, string>>();

  record(event: FaultEvent, phaseNumber: number): void {
    if (event.sequence === undefined || event.sequence >= SCHEDULE_LENGTH) return;
    let calls = this.byMethod.get(event.method);
    if (!calls) this.byMethod.set(event.method, (calls = new Map()));
    calls.set(event.sequence, `${phaseNumber}:${describeDecision(event)}`);
  }

  /** `sequenced`: calls per method that drew from the schedule (calls minus outage). */
  list(sequenced: Readonly<Record<string, number>>): Record<string, string[]> {
    const out: Record<string, string[]> = {};
    for (const method of Object.keys(sequenced).sort()) {
      const calls = this.byMethod.get(method);
      const length = Math.min(sequenced[method], SCHEDULE_LENGTH);
      out[method] = Array.from({ length }, (_, n) => calls?.get(n) ?? '?:pass');
    }
    return out;
  }
}

/** `UNAVAILABLE`, `RESOURCE_EXHAUSTED+3.1ms`, `stall`, `+2.4ms`. */
function describeDecision({ decision }: FaultEvent): string {
  if (decision.action === 'stall') return decision.durationMs === undefined ? 'stall' : `stall ${decision.durationMs}ms`;
  const delay = decision.delayMs > 0 ? `+${decision.delayMs.toFixed(1)}ms` : '';
  return decision.action === 'error' ? `${statusName(decision.code)}${delay}` : delay || 'pass';
}

/** A fault event as a log line of the service it happened in. */
export function faultLogLine(service: string, event: FaultEvent, traceId: string | undefined): LogLine {
  const { decision } = event;
  let msg: string;
  if (event.outage) msg = `injected outage: ${decision.action === 'error' ? decision.message : 'held'}`;
  else if (decision.action === 'error') msg = `${decision.message}${decision.pushbackMs !== undefined ? ` (pushback ${decision.pushbackMs} ms)` : ''}`;
  else if (decision.action === 'stall') msg = 'injected stall: held until the caller gives up';
  else msg = `injected latency: ${decision.delayMs.toFixed(1)} ms`;
  return {
    time: Date.now(),
    service,
    level: decision.action === 'pass' ? 'debug' : 'info',
    msg,
    trace_id: traceId,
    event: 'fault',
    method: event.method,
    ...(event.sequence === undefined ? {} : { sequence: event.sequence }),
  };
}

/** Counters added since `before`. */
export function faultsSince(after: FaultCounters, before: FaultCounters): InjectedFaults {
  const byCode: Record<string, number> = {};
  for (const [code, count] of Object.entries(after.byCode)) {
    const added = count - (before.byCode[code] ?? 0);
    if (added > 0) byCode[code] = added;
  }
  return {
    calls: after.calls - before.calls,
    errors: after.errors - before.errors,
    stalls: after.stalls - before.stalls,
    delayed: after.delayed - before.delayed,
    outage: after.outage - before.outage,
    byCode,
  };
}
