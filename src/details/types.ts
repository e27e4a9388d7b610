import type {
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

export type {
  BadRequest,
  BadRequest_FieldViolation as FieldViolation,
  DebugInfo,
  ErrorInfo,
  Help,
  Help_Link as HelpLink,
  LocalizedMessage,
  PreconditionFailure,
  PreconditionFailure_Violation as PreconditionViolation,
  QuotaFailure,
  QuotaFailure_Violation as QuotaViolation,
  RequestInfo,
  ResourceInfo,
  RetryInfo,
} from '../gen/google/rpc/error_details';

/** One typed google.rpc error detail, tagged by its message name. */
export type ErrorDetail =
  | { readonly type: 'ErrorInfo'; readonly value: ErrorInfo }
  | { readonly type: 'RetryInfo'; readonly value: RetryInfo }
  | { readonly type: 'DebugInfo'; readonly value: DebugInfo }
  | { readonly type: 'QuotaFailure'; readonly value: QuotaFailure }
  | { readonly type: 'PreconditionFailure'; readonly value: PreconditionFailure }
  | { readonly type: 'BadRequest'; readonly value: BadRequest }
  | { readonly type: 'RequestInfo'; readonly value: RequestInfo }
  | { readonly type: 'ResourceInfo'; readonly value: ResourceInfo }
  | { readonly type: 'Help'; readonly value: Help }
  | { readonly type: 'LocalizedMessage'; readonly value: LocalizedMessage };

export type ErrorDetailType = ErrorDetail['type'];

/** A detail whose type this package does not know: kept as its type URL and raw bytes. */
export interface UnknownDetail {
  readonly typeUrl: string;
  readonly value: Uint8Array;
}

/** A decoded `google.rpc.Status`. */
export interface RichStatus {
  readonly code: number;
  readonly message: string;
  readonly details: readonly ErrorDetail[];
  /** Details of types not listed in `ErrorDetail`. */
  readonly unknownDetails: readonly UnknownDetail[];
}
