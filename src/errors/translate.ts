import { status, type Metadata } from '@grpc/grpc-js';
import { readRichStatus } from '../details/read';
import { isRetryableByCaller, tellCallerNotToRetry } from '../retry/one-tier';
import { readPushback } from '../retry/pushback';
import { retryInfoDetail } from '../details/codec';
import type { DebugInfo, ErrorDetail } from '../details/types';
import { classifyStatus } from '../status/classify';
import { isKnownStatusCode } from '../status/codes';
import { localFailureKind } from '../status/local-failure';
import type { ErrorTranslatedEvent } from '../telemetry/events';
import { endedCallCode, findDownstreamStatus, translateDownstream, type DownstreamStatus, type IncomingCallState } from './downstream';
import type { FailureRecord, MapError } from './failure-record';
import { DEPENDENCY_UNAVAILABLE_TEXT, genericText, withTraceId } from './generic-messages';
import type { ErrorLogLevel } from './logger';
import { isProductionEnv, type ResolvedErrorTranslation } from './options';
import { isPublicError, type PublicError } from './public-error';
import { buildStatus, publicErrorStatus, serviceOfPath, type OutgoingStatus, type StatusEnvelope } from './status-builder';
import { emitPackageWarning, printable, safeText } from '../internal/printable';

export type TranslationKind = ErrorTranslatedEvent['kind'];

/** What reached `sendStatus`, and the original error when wrapService left one. */
export interface FailureInput {
  readonly record: FailureRecord | undefined;
  readonly status: { readonly code: number; readonly details?: string; readonly metadata?: Metadata | null };
}

export interface TranslationScope {
  readonly method: string;
  readonly traceId: string;
  readonly incoming: IncomingCallState;
  /** Our client stack already dealt with a failure of one of this call's outgoing calls (retried it, or refused to). */
  readonly retriedOutgoing?: boolean;
  readonly config: Pick<
    ResolvedErrorTranslation,
    'domain' | 'mapError' | 'debugInfo' | 'trustGrpcStatuses' | 'statusTable' | 'downstream'
  >;
}

export interface Translation {
  readonly status: OutgoingStatus;
  readonly kind: TranslationKind;
  /** The code the failure carried, when it had one. */
  readonly fromCode?: number;
  readonly level: ErrorLogLevel;
  readonly downstream?: DownstreamStatus;
}

let reportedMapperFailure = false;

function applyMapper(mapper: MapError | undefined, error: unknown): PublicError | undefined {
  if (!mapper) return undefined;
  try {
    const mapped = mapper(error);
    return isPublicError(mapped) ? mapped : undefined;
  } catch (failure) {
    if (!reportedMapperFailure) {
      reportedMapperFailure = true;
      emitPackageWarning(`grpc-resilience: mapError threw (${printable(failure)}); the error is treated as unmapped`);
    }
    return undefined;
  }
}

function debugInfoOf(error: unknown, fallbackDetail: string | undefined): DebugInfo {
  let stack = '';
  let detail = fallbackDetail ?? '';
  try {
    if (error instanceof Error) {
      stack = String(error.stack ?? '');
      detail = String(error.message);
    } else if (error !== undefined) {
      detail = safeText(error);
    }
  } catch {
    // hostile getters: keep what we have
  }
  return { stackEntries: stack ? stack.split('\n') : [], detail };
}

/** Log level by the code sent: client faults are routine, server faults are errors. */
function levelFor(code: number, scope: TranslationScope): ErrorLogLevel {
  if (code === status.INTERNAL || code === status.UNKNOWN || code === status.DATA_LOSS) return 'error';
  return classifyStatus(code, { method: scope.method, table: scope.config.statusTable }).clientFault ? 'info' : 'warn';
}

/**
 * Decides what the client sees for one failed call. Order: PublicError, mapped error, downstream
 * status (in the error or its cause chain), an abort after the call was over, a status chosen the
 * grpc-js way, anything else (INTERNAL). The status tells the client not to retry when this tier
 * has already dealt with the failure (see `callerMustNotRetry`).
 */
export function translateFailure(input: FailureInput, scope: TranslationScope): Translation {
  const translation = chooseStatus(input, scope);
  if (callerMustNotRetry(translation, scope)) tellCallerNotToRetry(translation.status.metadata);
  return translation;
}

/**
 * Retry at one tier: a failure the caller might retry, sent by a call whose outgoing call failed
 * and was already retried here (or refused by our breaker or budget), or whose dependency said
 * "do not retry" itself, must not be retried by the caller as well.
 */
function callerMustNotRetry(translation: Translation, scope: TranslationScope): boolean {
  if (!isRetryableByCaller(translation.status.code, scope.config.statusTable, scope.method)) return false;
  if (scope.retriedOutgoing === true) return true;
  const downstream = translation.downstream;
  if (downstream === undefined) return false;
  // Without a retry interceptor here: the dependency's own "do not retry", or our breaker's refusal.
  return readPushback(downstream.metadata).kind === 'stop' || localFailureKind(downstream.metadata) === 'breaker-open';
}

function chooseStatus(input: FailureInput, scope: TranslationScope): Translation {
  const { record, status: raw } = input;
  const config = scope.config;
  const envelope = (debugSource?: { error: unknown; detail?: string }): StatusEnvelope => ({
    traceId: scope.traceId,
    domain: config.domain ?? serviceOfPath(scope.method),
    debugInfo: debugSource && config.debugInfo && !isProductionEnv() ? debugInfoOf(debugSource.error, debugSource.detail) : undefined,
  });
  const internal = (fromCode: number | undefined, debug: { error: unknown; detail?: string }): Translation => ({
    status: buildStatus(status.INTERNAL, withTraceId(genericText(status.INTERNAL), scope.traceId), [], envelope(debug)),
    kind: 'internal',
    fromCode,
    level: 'error',
  });

  if (record) {
    const error = record.error;
    if (isPublicError(error)) {
      return { status: publicErrorStatus(error, envelope()), kind: 'public', fromCode: error.code, level: levelFor(error.code, scope) };
    }
    const mapped = applyMapper(record.mapError, error) ?? applyMapper(config.mapError, error);
    if (mapped) {
      return { status: publicErrorStatus(mapped, envelope()), kind: 'mapped', fromCode: mapped.code, level: levelFor(mapped.code, scope) };
    }
    const downstream = findDownstreamStatus(error);
    if (downstream) {
      const outcome = translateDownstream(downstream, scope.incoming, config.downstream);
      const text = outcome.code === status.UNAVAILABLE ? DEPENDENCY_UNAVAILABLE_TEXT : genericText(outcome.code);
      const details: ErrorDetail[] = outcome.retryDelayMs === undefined ? [] : [retryInfoDetail(outcome.retryDelayMs)];
      return {
        status: buildStatus(outcome.code, withTraceId(text, scope.traceId), details, envelope({ error })),
        kind: 'downstream',
        fromCode: downstream.code,
        level: outcome.code === status.INTERNAL ? 'error' : 'warn',
        downstream,
      };
    }
    if (record.origin === 'thrown') {
      // The handler gave up because its call was over (it awaited the call's signal, say).
      const ended = endedCallCode(error, scope.incoming, config.downstream);
      if (ended !== undefined) {
        return {
          status: buildStatus(ended, withTraceId(genericText(ended), scope.traceId), [], envelope({ error })),
          kind: 'call-ended',
          level: levelFor(ended, scope),
        };
      }
      return internal(undefined, { error });
    }
  }
  return grpcStyle(raw, record?.error, scope, envelope, internal);
}

/** The handler's pushback (trailer or RetryInfo) as a RetryInfo detail, when it asked for a wait. */
function retryHint(metadata: Metadata | null | undefined): ErrorDetail[] {
  const pushback = readPushback(metadata ?? undefined);
  return pushback.kind === 'wait' ? [retryInfoDetail(pushback.delayMs)] : [];
}

/** Keeps a "do not retry" pushback (a negative value) the handler sent. */
function keepStopHint(translated: OutgoingStatus, metadata: Metadata | null | undefined): OutgoingStatus {
  if (readPushback(metadata ?? undefined).kind === 'stop') tellCallerNotToRetry(translated.metadata);
  return translated;
}

/** A status picked the grpc-js way (`callback({ code, details })`, `emit('error', …)`), or produced by grpc-js. */
function grpcStyle(
  raw: FailureInput['status'],
  error: unknown,
  scope: TranslationScope,
  envelope: (debug?: { error: unknown; detail?: string }) => StatusEnvelope,
  internal: (fromCode: number | undefined, debug: { error: unknown; detail?: string }) => Translation,
): Translation {
  const code = raw.code;
  const message = typeof raw.details === 'string' ? raw.details : '';
  const usable = isKnownStatusCode(code) && code !== status.OK && code !== status.UNKNOWN;
  if (usable && scope.config.trustGrpcStatuses) {
    // Migration mode: code and message verbatim; the handler's own details minus any DebugInfo.
    const own = readRichStatus(raw.metadata ?? undefined)?.details ?? [];
    const kept: ErrorDetail[] = own.filter((d) => d.type !== 'DebugInfo' && d.type !== 'RequestInfo');
    if (!kept.some((d) => d.type === 'RetryInfo')) kept.push(...retryHint(raw.metadata));
    const translated = buildStatus(code, message, kept, envelope());
    return { status: keepStopHint(translated, raw.metadata), kind: 'grpc-status', fromCode: code, level: levelFor(code, scope) };
  }
  if (usable && classifyStatus(code, { method: scope.method, table: scope.config.statusTable }).exposable) {
    // The message is replaced, but a retry hint (a number, nothing internal) is the caller's to use.
    const hint = code === status.UNAVAILABLE || code === status.RESOURCE_EXHAUSTED ? retryHint(raw.metadata) : [];
    const translated = buildStatus(code, withTraceId(genericText(code), scope.traceId), hint, envelope());
    return { status: hint.length > 0 ? translated : keepStopHint(translated, raw.metadata), kind: 'grpc-status', fromCode: code, level: levelFor(code, scope) };
  }
  return internal(code, { error, detail: message });
}
