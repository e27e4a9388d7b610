export { PublicError, isPublicError, type StatusCodeInput } from './public-error';
export type {
  BadRequestInput,
  ErrorInfoInput,
  HelpInput,
  LocalizedMessageInput,
  PreconditionFailureInput,
  PublicDetailInput,
  PublicDetailType,
  PublicErrorDetail,
  QuotaFailureInput,
  ResourceInfoInput,
  RetryInfoInput,
} from './detail-input';
export { wrapService, type WrapServiceOptions } from './wrap-service';
export type {
  AnyHandler,
  BidiStreamingHandler,
  ClientStreamingHandler,
  DuplexRequestStream,
  HandlerFor,
  MethodDefinitionLike,
  RequestOf,
  RequestStream,
  ResponseOf,
  ServerStreamingHandler,
  ServiceDefinitionLike,
  ServiceHandlers,
  StreamOutput,
  UnaryHandler,
  WrappedService,
} from './handler-types';
export { errorTranslationServerInterceptor } from './server-interceptor';
export type { ErrorTranslationOptions } from './options';
export type { MapError } from './failure-record';
export type { ErrorLogEntry, ErrorLogFields, ErrorLogger, ErrorLogLevel, ObjectLogger } from './logger';
export type { DownstreamOptions } from './downstream';
export { decodeErrorDetails, type DecodedErrorDetails } from './decode-details';
export { describeServiceError, type DescribeOptions, type ServiceErrorDescription } from './describe';
