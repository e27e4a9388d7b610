import { currentCallContext, type LogEntry, type Logger } from '../../src';

/** One structured log line of the example system. `trace_id` ties the lines of one request together. */
export interface LogLine {
  /** Epoch milliseconds. */
  readonly time: number;
  /** Which service wrote it: `users`, `preferences`, `profile`, `client`. */
  readonly service: string;
  readonly level: string;
  readonly msg: string;
  readonly trace_id?: string;
  readonly [field: string]: unknown;
}

/** Where log lines go: the console, or a collector (the demo keeps them to follow one trace). */
export type LogSink = (line: LogLine) => void;

/** Prints each line as JSON, as a log pipeline would receive it. */
export const consoleSink: LogSink = (line) => console.log(JSON.stringify(line));

/** A handler's own logger: every line gets the trace id of the call it runs in. */
export interface ServiceLog {
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
}

export function serviceLog(service: string, sink: LogSink): ServiceLog {
  const write = (level: string) => (msg: string, fields?: Record<string, unknown>) =>
    sink({ time: Date.now(), service, level, msg, trace_id: currentCallContext()?.traceId, ...fields });
  return { info: write('info'), warn: write('warn'), error: write('error') };
}

/**
 * The `logger` option of `clientInterceptors` / `serverInterceptors`. The server stack hands the
 * same logger to its error translator, whose entries carry `traceId` and the original `err`:
 * both shapes become one kind of line here.
 */
export function stackLogger(service: string, sink: LogSink): Logger {
  return (entry: LogEntry) => {
    const { level, msg, trace_id, traceId, err, ...fields } = entry as LogEntry & { traceId?: string; err?: unknown };
    sink({
      time: Date.now(),
      service,
      level,
      msg,
      trace_id: (trace_id as string | undefined) ?? traceId,
      ...(readable(fields) as Record<string, unknown>),
      ...(err === undefined ? {} : { err: describeError(err) }),
    });
  };
}

/** Binary values (e.g. `grpc-status-details-bin` of a downstream status) as a short note, not a byte dump. */
function readable(value: unknown, depth = 0): unknown {
  if (Buffer.isBuffer(value)) return `<${value.length} bytes>`;
  if (typeof value !== 'object' || value === null || depth > 4) return value;
  if (Array.isArray(value)) return value.map((item) => readable(item, depth + 1));
  return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, readable(item, depth + 1)]));
}

/** The parts of an error worth a log line (a log is internal: the message stays, secrets included). */
function describeError(err: unknown): unknown {
  if (!(err instanceof Error)) return err;
  const code = (err as { code?: unknown }).code;
  return { type: err.name, message: err.message, ...(typeof code === 'number' ? { code } : {}) };
}
