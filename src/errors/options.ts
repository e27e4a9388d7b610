import { resolveStatusTable, type StatusTable, type StatusTableOptions } from '../status/table';
import type { EventHandler } from '../telemetry/events';
import { booleanOption, functionOption, objectOption, stringOption } from '../internal/validate';
import { resolveDownstreamOptions, type DownstreamOptions, type ResolvedDownstream } from './downstream';
import type { MapError } from './failure-record';
import { resolveLogger, type ErrorLogger, type LogSink } from './logger';
import { STATUS_DETAILS_KEY } from '../details/codec';

export interface ErrorTranslationOptions {
  /** `ErrorInfo.domain` of translated errors. Default: the gRPC service name of the method. */
  readonly domain?: string;
  /** Maps domain errors to PublicErrors (e.g. a NotFoundError class → NOT_FOUND); undefined leaves an error unmapped. */
  readonly mapError?: MapError;
  /** Receives each failed call's original error once (pino, console, or a function). Default `console`; `false` disables. */
  readonly logger?: ErrorLogger | false;
  /** Trailer keys a handler may send on error responses (lowercase). Everything else is dropped. Default none. */
  readonly allowedTrailers?: readonly string[];
  /**
   * Development only: add a DebugInfo (stack, message) to internal errors. Ignored in production: when
   * NODE_ENV starts with `prod`, in any case, surrounding space aside (`production`, `Production`, `prod`).
   * Default false.
   */
  readonly includeDebugInfo?: boolean;
  /**
   * Migration mode: statuses a callback-style handler picks the grpc-js way (`callback({ code, details })`)
   * are sent with their code and message verbatim (UNKNOWN still becomes INTERNAL). Default false: the
   * code is kept when the status table marks it `exposable`, with a generic message.
   */
  readonly trustGrpcStatuses?: boolean;
  /** The status table whose `exposable` flags decide which grpc-js-style codes are kept. Default table when absent. */
  readonly statusTable?: StatusTable | StatusTableOptions;
  /** The propagation table for failures of the handler's own outgoing calls. */
  readonly downstream?: DownstreamOptions;
  /** The trailer carrying the trace id on errors (default `x-trace-id`; match `trace.traceIdHeader`). */
  readonly traceIdHeader?: string;
  /** Receives an `error-translated` event per failed call. */
  readonly onEvent?: EventHandler;
  /** Clock (epoch ms), for tests. Default `Date.now`. */
  readonly now?: () => number;
}

export interface ResolvedErrorTranslation {
  readonly domain: string | undefined;
  readonly mapError: MapError | undefined;
  readonly log: LogSink | undefined;
  readonly allowedTrailers: ReadonlySet<string>;
  readonly debugInfo: boolean;
  readonly trustGrpcStatuses: boolean;
  readonly statusTable: StatusTable;
  readonly downstream: ResolvedDownstream;
  readonly traceIdHeader: string;
  readonly onEvent: EventHandler | undefined;
  readonly now: () => number;
}

/**
 * True when NODE_ENV names production. Read per failure (it may be set after the interceptor was
 * built); case and surrounding space do not matter, and any value starting with `prod` counts, so a
 * typo of production never sends stacks.
 */
export function isProductionEnv(): boolean {
  return process.env.NODE_ENV?.trim().toLowerCase().startsWith('prod') === true;
}

const TRAILER_KEY = /^[0-9a-z_.-]+$/;
const HEADER_NAME = /^[0-9a-z_.-]+$/;

export function resolveErrorTranslationOptions(value: unknown, name = 'errors'): ResolvedErrorTranslation {
  const o = objectOption<ErrorTranslationOptions>(name, value, [
    'domain',
    'mapError',
    'logger',
    'allowedTrailers',
    'includeDebugInfo',
    'trustGrpcStatuses',
    'statusTable',
    'downstream',
    'traceIdHeader',
    'onEvent',
    'now',
  ]);
  const trailers = o.allowedTrailers ?? [];
  if (!Array.isArray(trailers)) throw new TypeError(`${name}.allowedTrailers must be an array of metadata keys; got ${typeof trailers}`);
  for (const key of trailers) {
    if (typeof key !== 'string' || !TRAILER_KEY.test(key) || key.startsWith('grpc-') || key === STATUS_DETAILS_KEY) {
      throw new TypeError(
        `${name}.allowedTrailers: ${JSON.stringify(key)} must be a lowercase metadata key (a-z, 0-9, '-', '_', '.') not starting with grpc-`,
      );
    }
  }
  const traceIdHeader = stringOption(`${name}.traceIdHeader`, o.traceIdHeader) ?? 'x-trace-id';
  if (!HEADER_NAME.test(traceIdHeader) || traceIdHeader.endsWith('-bin') || traceIdHeader.startsWith('grpc-')) {
    throw new TypeError(`${name}.traceIdHeader must be a lowercase metadata key, not -bin nor grpc-; got ${JSON.stringify(traceIdHeader)}`);
  }
  let statusTable: StatusTable;
  try {
    statusTable = resolveStatusTable(o.statusTable);
  } catch (error) {
    throw new TypeError(`${name}.statusTable: ${(error as Error).message}`);
  }
  const wantsDebug = booleanOption(`${name}.includeDebugInfo`, o.includeDebugInfo, false);
  return {
    domain: stringOption(`${name}.domain`, o.domain),
    mapError: functionOption<MapError>(`${name}.mapError`, o.mapError),
    log: resolveLogger(o.logger, `${name}.logger`),
    allowedTrailers: new Set(trailers),
    // Never in production, whatever the option says.
    debugInfo: wantsDebug && !isProductionEnv(),
    trustGrpcStatuses: booleanOption(`${name}.trustGrpcStatuses`, o.trustGrpcStatuses, false),
    statusTable,
    downstream: resolveDownstreamOptions(o.downstream, `${name}.downstream`),
    traceIdHeader,
    onEvent: functionOption<EventHandler>(`${name}.onEvent`, o.onEvent),
    now: functionOption<() => number>(`${name}.now`, o.now) ?? Date.now,
  };
}
