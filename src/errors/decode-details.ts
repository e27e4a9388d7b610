import { STATUS_DETAILS_KEY, MalformedStatusDetailsError, decodeRichStatus } from '../details/codec';
import type {
  BadRequest,
  DebugInfo,
  ErrorDetail,
  ErrorDetailType,
  ErrorInfo,
  Help,
  LocalizedMessage,
  PreconditionFailure,
  QuotaFailure,
  RequestInfo,
  ResourceInfo,
  RetryInfo,
  UnknownDetail,
} from '../details/types';

/** The google.rpc details of a failed call, typed. */
export interface DecodedErrorDetails {
  /** Every known detail, in the order the server sent them. */
  readonly details: readonly ErrorDetail[];
  /** Details of types this package does not know, or whose bytes did not parse: type URL and raw bytes. */
  readonly unknownDetails: readonly UnknownDetail[];
  /** The code and message inside `grpc-status-details-bin`, when it was present and parsed. */
  readonly status?: { readonly code: number; readonly message: string };
  /** Set when `grpc-status-details-bin` was present but is not a valid google.rpc.Status. */
  readonly malformed?: MalformedStatusDetailsError;
  // The first detail of each type, for convenience.
  readonly errorInfo?: ErrorInfo;
  readonly retryInfo?: RetryInfo;
  readonly debugInfo?: DebugInfo;
  readonly quotaFailure?: QuotaFailure;
  readonly preconditionFailure?: PreconditionFailure;
  readonly badRequest?: BadRequest;
  readonly requestInfo?: RequestInfo;
  readonly resourceInfo?: ResourceInfo;
  readonly help?: Help;
  readonly localizedMessage?: LocalizedMessage;
}

const ACCESSOR: { readonly [K in ErrorDetailType]: keyof DecodedErrorDetails } = {
  ErrorInfo: 'errorInfo',
  RetryInfo: 'retryInfo',
  DebugInfo: 'debugInfo',
  QuotaFailure: 'quotaFailure',
  PreconditionFailure: 'preconditionFailure',
  BadRequest: 'badRequest',
  RequestInfo: 'requestInfo',
  ResourceInfo: 'resourceInfo',
  Help: 'help',
  LocalizedMessage: 'localizedMessage',
};

const EMPTY: DecodedErrorDetails = Object.freeze({ details: Object.freeze([]), unknownDetails: Object.freeze([]) });

interface MetadataLike {
  get(key: string): unknown[];
}

function metadataOf(source: unknown): MetadataLike | undefined {
  if (typeof source !== 'object' || source === null) return undefined;
  if (typeof (source as MetadataLike).get === 'function' && typeof (source as { getMap?: unknown }).getMap === 'function') {
    return source as MetadataLike;
  }
  const metadata = (source as { metadata?: unknown }).metadata;
  if (typeof metadata === 'object' && metadata !== null && typeof (metadata as MetadataLike).get === 'function') {
    return metadata as MetadataLike;
  }
  return undefined;
}

/**
 * Client side: the google.rpc details (`grpc-status-details-bin`) of a failed call, from a grpc-js
 * `ServiceError` (or its trailers). Never throws: no details gives empty lists, bytes that are not a
 * google.rpc.Status set `malformed`, and a detail whose bytes do not parse lands in `unknownDetails`.
 */
export function decodeErrorDetails(error: unknown): DecodedErrorDetails {
  let raw: unknown;
  try {
    raw = metadataOf(error)?.get(STATUS_DETAILS_KEY)[0];
  } catch {
    return EMPTY;
  }
  if (raw === undefined) return EMPTY;
  if (!(raw instanceof Uint8Array)) {
    return { ...EMPTY, malformed: new MalformedStatusDetailsError(`${STATUS_DETAILS_KEY} is not binary`) };
  }
  try {
    const rich = decodeRichStatus(raw);
    const decoded: Record<string, unknown> = {
      details: rich.details,
      unknownDetails: rich.unknownDetails,
      status: { code: rich.code, message: rich.message },
    };
    for (const detail of rich.details) {
      const key = ACCESSOR[detail.type];
      if (decoded[key] === undefined) decoded[key] = detail.value;
    }
    return decoded as unknown as DecodedErrorDetails;
  } catch (cause) {
    const malformed =
      cause instanceof MalformedStatusDetailsError
        ? cause
        : new MalformedStatusDetailsError(`${STATUS_DETAILS_KEY} could not be decoded`, { cause });
    return { ...EMPTY, malformed };
  }
}
