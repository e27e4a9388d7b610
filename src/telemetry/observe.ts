import { functionOption } from '../internal/validate';
import { combineHandlers } from './emit';
import type { EventHandler } from './events';
import { createLogHandler, type Logger, type LogOptions } from './logs';
import { createMetricsHandler, type MetricsOptions } from './metrics';

/** Observability options shared by the client and server stacks. */
export interface ObserveOptions {
  /** Receives every event of the stack. A handler that throws never changes a call's outcome. */
  readonly onEvent?: EventHandler;
  /** Record OpenTelemetry metrics (needs `@opentelemetry/api`; silently off without it). */
  readonly metrics?: boolean | MetricsOptions;
  /** Write structured log lines (pino, console, or a function); `false` for none at all (servers log failed calls to console by default). */
  readonly logger?: Logger | false;
  /** Log levels per status code. */
  readonly logs?: LogOptions;
}

/** One handler for the events, metrics and logs a stack was asked for; undefined when none. */
export function observeHandler(options: ObserveOptions): EventHandler | undefined {
  const onEvent = functionOption<EventHandler>('onEvent', options.onEvent);
  const metrics =
    options.metrics === undefined || options.metrics === false
      ? undefined
      : createMetricsHandler(options.metrics === true ? {} : options.metrics);
  const logs = options.logger === undefined || options.logger === false ? undefined : createLogHandler(options.logger, options.logs);
  if (options.logs !== undefined && logs === undefined) {
    throw new TypeError('logs: level maps need a logger (set the "logger" option)');
  }
  return combineHandlers(onEvent, metrics, logs);
}
