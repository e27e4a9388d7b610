export { classifyStatus, type ClassifyContext } from './classify';
export {
  DEFAULT_CLASSIFICATIONS,
  UNKNOWN_CODE_CLASSIFICATION,
  type RetryCondition,
  type RetryMode,
  type StatusClassification,
} from './classification';
export { isKnownStatusCode, parseStatusCode, statusName, STATUS_NAMES } from './codes';
export {
  createStatusTable,
  defaultStatusTable,
  resolveStatusTable,
  type StatusOverrides,
  type StatusTable,
  type StatusTableOptions,
} from './table';
export { LOCAL_FAILURE_KEY, localFailureKind, localFailureStatus, type LocalFailureKind } from './local-failure';
