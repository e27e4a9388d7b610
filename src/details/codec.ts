import { Any } from '../gen/google/protobuf/any';
import {
  BadRequest,
  DebugInfo,
  ErrorInfo,
  Help,
  LocalizedMessage,
  PreconditionFailure,
  QuotaFailure,
  RequestInfo,
  ResourceInfo,
  RetryInfo,
} from '../gen/google/rpc/error_details';
import { Status } from '../gen/google/rpc/status';
import type { ErrorDetail, ErrorDetailType, RichStatus, UnknownDetail } from './types';

/** The trailer that carries a serialized `google.rpc.Status`. */
export const STATUS_DETAILS_KEY = 'grpc-status-details-bin';

const TYPE_URL_PREFIX = 'type.googleapis.com/google.rpc.';

interface Codec<T> {
  encode(message: T): { finish(): Uint8Array };
  decode(input: Uint8Array): T;
}

const CODECS: { readonly [K in ErrorDetailType]: Codec<Extract<ErrorDetail, { type: K }>['value']> } = {
  ErrorInfo,
  RetryInfo,
  DebugInfo,
  QuotaFailure,
  PreconditionFailure,
  BadRequest,
  RequestInfo,
  ResourceInfo,
  Help,
  LocalizedMessage,
};

/** The type URL of a detail, e.g. `type.googleapis.com/google.rpc.ErrorInfo`. */
export function detailTypeUrl(type: ErrorDetailType): string {
  return TYPE_URL_PREFIX + type;
}

/** Serializes a `google.rpc.Status` for the `grpc-status-details-bin` trailer. */
export function encodeRichStatus(code: number, message: string, details: readonly ErrorDetail[]): Buffer {
  const anys = details.map((detail) => ({
    typeUrl: detailTypeUrl(detail.type),
    value: toBuffer((CODECS[detail.type] as Codec<unknown>).encode(detail.value).finish()),
  }));
  return toBuffer(Status.encode({ code, message, details: anys }).finish());
}

function toBuffer(bytes: Uint8Array): Buffer {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** Thrown by `decodeRichStatus` when the bytes are not a `google.rpc.Status`. */
export class MalformedStatusDetailsError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'MalformedStatusDetailsError';
  }
}

/**
 * Parses `grpc-status-details-bin`. Known detail types are decoded; others are kept raw in
 * `unknownDetails`. A known detail whose bytes do not parse is also kept raw there.
 * Throws `MalformedStatusDetailsError` when the outer Status does not parse.
 */
export function decodeRichStatus(bytes: Uint8Array): RichStatus {
  let status: Status;
  try {
    status = Status.decode(bytes);
  } catch (cause) {
    throw new MalformedStatusDetailsError('grpc-status-details-bin is not a valid google.rpc.Status', { cause });
  }
  const details: ErrorDetail[] = [];
  const unknownDetails: UnknownDetail[] = [];
  for (const any of status.details as Any[]) {
    const type = any.typeUrl.startsWith(TYPE_URL_PREFIX) ? any.typeUrl.slice(TYPE_URL_PREFIX.length) : '';
    const codec = Object.hasOwn(CODECS, type) ? (CODECS[type as ErrorDetailType] as Codec<unknown>) : undefined;
    if (!codec) {
      unknownDetails.push({ typeUrl: any.typeUrl, value: any.value });
      continue;
    }
    try {
      details.push({ type, value: codec.decode(any.value) } as ErrorDetail);
    } catch {
      unknownDetails.push({ typeUrl: any.typeUrl, value: any.value });
    }
  }
  return { code: status.code, message: status.message, details, unknownDetails };
}

/** Milliseconds in a `google.protobuf.Duration` (negative durations give a negative number). */
export function durationToMs(duration: { seconds: number; nanos: number } | undefined): number | undefined {
  if (!duration) return undefined;
  const ms = duration.seconds * 1000 + duration.nanos / 1e6;
  return Number.isFinite(ms) ? ms : undefined;
}

/** A `google.protobuf.Duration` for a number of milliseconds (≥ 0). */
export function msToDuration(ms: number): { seconds: number; nanos: number } {
  const clamped = Math.max(0, Math.round(ms));
  return { seconds: Math.floor(clamped / 1000), nanos: (clamped % 1000) * 1e6 };
}

/** A RetryInfo detail asking the client to wait `ms` milliseconds. */
export function retryInfoDetail(ms: number): ErrorDetail {
  return { type: 'RetryInfo', value: { retryDelay: msToDuration(ms) } };
}
