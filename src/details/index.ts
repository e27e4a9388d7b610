export * from './types';
export {
  STATUS_DETAILS_KEY,
  MalformedStatusDetailsError,
  decodeRichStatus,
  detailTypeUrl,
  durationToMs,
  encodeRichStatus,
  msToDuration,
  retryInfoDetail,
} from './codec';
export { readRetryInfoMs, readRichStatus } from './read';
