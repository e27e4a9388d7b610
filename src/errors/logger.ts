import { logWriter } from '../internal/log-writer';
import { emitPackageWarning, printable } from '../internal/printable';

/** How bad a translated failure is, for the log level. */
export type ErrorLogLevel = 'error' | 'warn' | 'info';

/** One log line per failed call: everything the client was not told. */
export interface ErrorLogFields {
  readonly traceId: string;
  /** The full method path. */
  readonly method: string;
  /** The code sent to the client, and its name. */
  readonly code: number;
  readonly codeName: string;
  /** How the failure was classified (see `ErrorTranslatedEvent.kind`). */
  readonly kind: string;
  /** The original error (message, stack, cause chain, custom fields), when the handler raised one. */
  readonly err?: unknown;
  /** The status the handler or grpc-js produced (code and message), before translation. */
  readonly grpcStatus?: { readonly code: number; readonly details: string };
  /** The status received from a dependency, with its trailers. */
  readonly downstream?: Record<string, unknown>;
  /** True when the incoming call had already been cancelled (the client never sees this status). */
  readonly cancelled?: boolean;
}

export interface ErrorLogEntry extends ErrorLogFields {
  readonly level: ErrorLogLevel;
  readonly msg: string;
}

/** A pino/bunyan/console-style logger: `logger.error(fields, message)`. */
export interface ObjectLogger {
  error(fields: object, message: string): void;
  warn?(fields: object, message: string): void;
  info?(fields: object, message: string): void;
}

/** A logger object (pino, console, …) or a function receiving one entry per failed call. */
export type ErrorLogger = ObjectLogger | ((entry: ErrorLogEntry) => void);

export type LogSink = (level: ErrorLogLevel, fields: ErrorLogFields, message: string) => void;

let reportedLoggerFailure = false;

/** Turns the `logger` option into one function; a logger that throws never changes a call's outcome. */
export function resolveLogger(value: unknown, name: string): LogSink | undefined {
  if (value === false) return undefined;
  const logger = value === undefined ? console : value;
  const isObjectLogger = typeof logger === 'object' && logger !== null && typeof (logger as ObjectLogger).error === 'function';
  if (typeof logger !== 'function' && !isObjectLogger) {
    throw new TypeError(
      `${name} must be a logger with an error(fields, message) method (pino, console), ` +
        `a function receiving each entry, or false; got ${typeof value}`,
    );
  }
  const write = logWriter(logger as ObjectLogger | ((entry: object) => void));
  return (level, fields, msg) => {
    try {
      write(level, fields, msg);
    } catch (error) {
      if (!reportedLoggerFailure) {
        reportedLoggerFailure = true;
        emitPackageWarning(`grpc-resilience: the error logger threw (${printable(error)}); further failures are ignored silently`);
      }
    }
  };
}
