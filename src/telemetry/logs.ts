import { status } from '@grpc/grpc-js';
import { exhaustive } from '../internal/exhaustive';
import { isKnownStatusCode, parseStatusCode, statusName } from '../status/codes';
import { logWriter, type ObjectLogger } from '../internal/log-writer';
import { keysOf, objectOption } from '../internal/validate';
import type { EventHandler, ResilienceEvent, Side } from './events';

export type LogLevel = 'silent' | 'debug' | 'info' | 'warn' | 'error';
const LEVELS: readonly LogLevel[] = ['silent', 'debug', 'info', 'warn', 'error'];

/** Structured fields of every log line (snake_case, as log pipelines expect). */
export interface LogFields {
  readonly event: ResilienceEvent['type'];
  readonly side?: Side;
  readonly trace_id?: string;
  readonly method?: string;
  readonly target?: string;
  readonly code?: string;
  readonly attempt?: number;
  readonly duration_ms?: number;
  readonly [key: string]: unknown;
}

/** What a function logger receives: the fields plus `level` and `msg`. */
export type LogEntry = LogFields & { readonly level: Exclude<LogLevel, 'silent'>; readonly msg: string };

/**
 * A pino logger, `console`, or anything with `debug/info/warn/error(fields, message)` methods;
 * or a function receiving one entry per line. The error translator takes the same loggers.
 */
export type Logger =
  | { debug?(fields: object, message: string): void; info?(fields: object, message: string): void; warn?(fields: object, message: string): void; error(fields: object, message: string): void }
  | ((entry: LogEntry) => void);

export interface LogOptions {
  /** Level per code (number or name) for client call ends; merged over the defaults. */
  readonly clientLevels?: Readonly<Record<string | number, LogLevel>>;
  /** Level per code for server call ends; merged over the defaults. */
  readonly serverLevels?: Readonly<Record<string | number, LogLevel>>;
}

const CLIENT_FAULTS = [3, 5, 6, 7, 9, 11, 12, 16];

function defaultLevels(side: Side): LogLevel[] {
  const levels: LogLevel[] = Array.from({ length: 17 }, () => 'warn');
  levels[status.OK] = 'silent';
  levels[status.CANCELLED] = 'info';
  levels[status.ABORTED] = 'info';
  for (const code of CLIENT_FAULTS) levels[code] = 'info';
  if (side === 'server') {
    levels[status.INTERNAL] = 'error';
    levels[status.UNKNOWN] = 'error';
    levels[status.DATA_LOSS] = 'error';
  } else {
    levels[status.DATA_LOSS] = 'error';
  }
  return levels;
}

function resolveLevels(name: string, side: Side, overrides: LogOptions['clientLevels']): LogLevel[] {
  const levels = defaultLevels(side);
  for (const [key, level] of Object.entries(overrides ?? {})) {
    const code = parseStatusCode(/^\d+$/.test(key) ? Number(key) : key);
    if (code === undefined) throw new TypeError(`${name}: "${key}" is not a gRPC status code (use 0–16 or a name)`);
    if (!LEVELS.includes(level)) throw new TypeError(`${name}["${key}"] must be one of ${LEVELS.join(', ')}; got ${String(level)}`);
    levels[code] = level;
  }
  return levels;
}

const round3 = (ms: number): number => Math.round(ms * 1000) / 1000;

/** Turns events into structured log lines. A logger that throws never changes a call's outcome. */
export function createLogHandler(logger: Logger, options: LogOptions = {}): EventHandler {
  if (typeof logger !== 'function' && (logger === null || typeof logger !== 'object' || typeof logger.error !== 'function')) {
    throw new TypeError('logger must be a pino/console-like object with debug/info/warn/error methods, or a function receiving each entry');
  }
  const o = objectOption<LogOptions>('logs', options, keysOf<LogOptions>({ clientLevels: true, serverLevels: true }));
  const client = resolveLevels('logs.clientLevels', 'client', o.clientLevels);
  const server = resolveLevels('logs.serverLevels', 'server', o.serverLevels);
  const writeEntry = logWriter(logger as ObjectLogger | ((entry: object) => void));
  const write = (level: LogLevel, fields: LogFields, message: string) => {
    if (level !== 'silent') writeEntry(level, fields, message);
  };
  const levelOf = (side: Side, code: number): LogLevel => (isKnownStatusCode(code) ? (side === 'client' ? client : server)[code] : 'error');

  return (event) => {
    switch (event.type) {
      case 'call-end':
        write(levelOf(event.side, event.code), {
          event: event.type, side: event.side, trace_id: event.traceId, method: event.method, target: event.target,
          code: statusName(event.code), attempt: event.attempts, duration_ms: Math.round(event.durationMs * 1000) / 1000,
        }, `${event.side} call ${event.method} ended ${statusName(event.code)}`);
        break;
      case 'retry':
        write('debug', { event: event.type, side: 'client', trace_id: event.traceId, method: event.method, target: event.target, code: statusName(event.code), attempt: event.attempt, delay_ms: event.delayMs, pushback: event.pushback },
          `retrying ${event.method} after ${statusName(event.code)} in ${Math.round(event.delayMs)} ms (attempt ${event.attempt})`);
        break;
      case 'hedge':
        write('debug', { event: event.type, side: 'client', trace_id: event.traceId, method: event.method, target: event.target, attempt: event.attempt, delay_ms: Math.round(event.delayMs) },
          `hedging ${event.method}: attempt ${event.attempt} after ${Math.round(event.delayMs)} ms without an answer`);
        break;
      case 'give-up':
        write('info', { event: event.type, side: 'client', trace_id: event.traceId, method: event.method, target: event.target, code: statusName(event.code), attempt: event.attempts, reason: event.reason },
          `not retrying ${event.method} after ${statusName(event.code)}: ${event.reason}`);
        break;
      case 'budget-exhausted':
        write('warn', { event: event.type, side: 'client', method: event.method, target: event.target }, `retry budget exhausted for ${event.target ?? 'the target'}`);
        break;
      case 'breaker-state':
        write(event.to === 'open' ? 'warn' : 'info', { event: event.type, side: 'client', target: event.target, breaker: event.key, from: event.from, to: event.to },
          `circuit breaker ${event.key} ${event.from} → ${event.to}`);
        break;
      case 'breaker-reject':
        write('debug', { event: event.type, side: 'client', method: event.method, target: event.target, breaker: event.key, retry_after_ms: event.retryAfterMs }, `circuit breaker ${event.key} is open: ${event.method} not sent`);
        break;
      case 'fallback':
        write(event.succeeded ? 'info' : 'warn', { event: event.type, side: 'client', method: event.method, target: event.target, code: statusName(event.code), succeeded: event.succeeded },
          event.succeeded ? `fallback answered ${event.method} after ${statusName(event.code)}` : `fallback for ${event.method} failed; the original error stands`);
        break;
      case 'deadline-fail-fast':
        write('warn', { event: event.type, side: 'client', trace_id: event.traceId, method: event.method, target: event.target, remaining_ms: event.remainingMs }, `${event.method} not sent: no time left before the deadline`);
        break;
      case 'deadline-shed':
        write('info', { event: event.type, side: 'server', trace_id: event.traceId, method: event.method, remaining_ms: event.remainingMs }, `${event.method} rejected on arrival: no time left before the deadline`);
        break;
      case 'overload-reject':
        // One line per refused call would flood the logs exactly when the server is busiest: debug.
        write('debug', { event: event.type, side: 'server', trace_id: event.traceId, method: event.method, criticality: event.criticality, scope: event.scope, limit: event.limit, in_flight: event.inFlight, retry_after_ms: event.retryAfterMs },
          `${event.method} refused: ${event.scope === 'server' ? 'server' : 'method'} at its concurrency limit for ${event.criticality} calls (${event.inFlight} in flight, limit ${event.limit})`);
        break;
      case 'overload-limit':
        if (event.limit !== event.previous) {
          write(event.limit < event.previous && event.limit < event.maxInFlight ? 'info' : 'debug', { event: event.type, side: 'server', scope: event.scope, limit: event.limit, previous: event.previous, in_flight: event.inFlight, latency_ms: round3(event.latencyMs), baseline_ms: event.baselineMs === undefined ? undefined : round3(event.baselineMs), loop_delay_ms: round3(event.loopDelayMs), timeouts: event.timeouts },
            `concurrency limit (${event.scope}) ${event.previous} → ${event.limit}: callers waited ${round3(event.latencyMs)} ms`);
        }
        break;
      case 'throttle-reject':
        write('debug', { event: event.type, side: 'client', trace_id: event.traceId, method: event.method, target: event.target, criticality: event.criticality, probability: event.probability },
          `${event.method} throttled: ${event.target} rejects too much (p=${event.probability.toFixed(2)})`);
        break;
      case 'throttle-probability':
        write(event.previous === 0 ? 'warn' : event.probability === 0 ? 'info' : 'debug', { event: event.type, side: 'client', target: event.target, criticality: event.criticality, probability: event.probability, previous: event.previous, requests: event.requests, accepts: event.accepts },
          event.probability === 0
            ? `throttling of ${event.criticality} calls to ${event.target} stopped`
            : `throttling ${event.criticality} calls to ${event.target}: p=${event.probability.toFixed(2)} (${event.accepts} of ${event.requests} accepted)`);
        break;
      case 'attempt-start':
      case 'attempt-end':
      case 'error-translated':
        // Attempts are summarised by call-end; translated errors are logged by the error translator with the original error.
        break;
      default:
        exhaustive(event);
    }
  };
}
