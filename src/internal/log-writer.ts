import { Console } from 'node:console';
import { inspect } from 'node:util';
import { escapeControl } from './printable';

export type WriteLevel = 'debug' | 'info' | 'warn' | 'error';

/** A pino/bunyan/console-style logger: `logger.error(fields, message)`, other levels optional. */
export interface ObjectLogger {
  debug?(fields: object, message: string): void;
  info?(fields: object, message: string): void;
  warn?(fields: object, message: string): void;
  error(fields: object, message: string): void;
}

/** Writes one entry: its level, structured fields and message. */
export type LogWrite = (level: WriteLevel, fields: object, message: string) => void;

const ONE_LINE = { breakLength: Infinity, compact: true, depth: 6 } as const;

function inspectSafely(fields: object): string {
  try {
    return inspect(fields, ONE_LINE);
  } catch {
    return '[fields could not be inspected]'; // a hostile error object
  }
}

/**
 * One way to write to the loggers the package accepts. The message is text the package composed
 * (it may quote the network): its control characters are escaped. Structured loggers get the
 * fields as they are (JSON escapes them); a function gets `{ ...fields, level, msg }`. A `console`
 * gets one line per entry, the message then the inspected fields, escaped as a whole: Node prints
 * an error's stack (and so its message) raw.
 */
export function logWriter(logger: ObjectLogger | ((entry: object) => void)): LogWrite {
  if (typeof logger === 'function') {
    return (level, fields, message) => logger({ ...fields, level, msg: escapeControl(message) });
  }
  if (logger instanceof Console) {
    return (level, fields, message) => logger[level](escapeControl(`${message} ${inspectSafely(fields)}`));
  }
  return (level, fields, message) => {
    const method = typeof logger[level] === 'function' ? level : 'error';
    logger[method]!(fields, escapeControl(message));
  };
}
