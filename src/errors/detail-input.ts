import { msToDuration } from '../details/codec';
import { describeValue, integerOption, isPlainObject, nonEmptyArray, requiredObject, requiredString } from '../internal/validate';
import type { ErrorDetail, ErrorDetailType } from '../details/types';
import type { LocalizedMessage } from '../gen/google/rpc/error_details';

/** `google.rpc.ErrorInfo`: why the call failed, as a machine-readable reason. */
export interface ErrorInfoInput {
  /** UPPER_SNAKE_CASE, at most 63 characters, e.g. `USER_NOT_FOUND`. */
  readonly reason: string;
  /** The service that produced the error; the translator's `domain` when absent. */
  readonly domain?: string;
  /** lowerCamelCase keys (at most 64 characters), string values. */
  readonly metadata?: Readonly<Record<string, string>>;
}

/** `google.rpc.BadRequest`: which request fields are invalid. */
export interface BadRequestInput {
  readonly fieldViolations: ReadonlyArray<{
    /** Path to the field, e.g. `user.email`. */
    readonly field: string;
    readonly description: string;
    /** UPPER_SNAKE_CASE reason for this violation. */
    readonly reason?: string;
    readonly localizedMessage?: LocalizedMessageInput;
  }>;
}

/** `google.rpc.RetryInfo`: wait at least this long before retrying. */
export interface RetryInfoInput {
  readonly retryDelayMs: number;
}

/** `google.rpc.PreconditionFailure`: which preconditions failed. */
export interface PreconditionFailureInput {
  readonly preconditionViolations: ReadonlyArray<{
    /** A service-specific type, e.g. `TOS`. */
    readonly type: string;
    readonly subject: string;
    readonly description: string;
  }>;
}

/** `google.rpc.QuotaFailure`: which quotas were exceeded. */
export interface QuotaFailureInput {
  readonly quotaViolations: ReadonlyArray<{
    readonly subject: string;
    readonly description: string;
    readonly apiService?: string;
    readonly quotaMetric?: string;
    readonly quotaId?: string;
    readonly quotaDimensions?: Readonly<Record<string, string>>;
    readonly quotaValue?: number;
    readonly futureQuotaValue?: number;
  }>;
}

/** `google.rpc.ResourceInfo`: the resource the error is about. */
export interface ResourceInfoInput {
  readonly resourceType: string;
  readonly resourceName: string;
  readonly owner?: string;
  readonly description?: string;
}

/** `google.rpc.LocalizedMessage`: a message safe to show to an end user. */
export interface LocalizedMessageInput {
  /** A BCP-47 locale, e.g. `en-US`. */
  readonly locale: string;
  readonly message: string;
}

/** `google.rpc.Help`: links to documentation. */
export interface HelpInput {
  readonly links: ReadonlyArray<{ readonly description: string; readonly url: string }>;
}

/** The detail types a PublicError may carry (DebugInfo and RequestInfo are the translator's). */
export type PublicDetailType = Exclude<ErrorDetailType, 'DebugInfo' | 'RequestInfo'>;

/** A typed detail a PublicError may carry. */
export type PublicErrorDetail = Extract<ErrorDetail, { type: PublicDetailType }>;

/** One detail, in its friendly shape or as a typed `{ type, value }` detail. */
export type PublicDetailInput =
  | ErrorInfoInput
  | BadRequestInput
  | RetryInfoInput
  | PreconditionFailureInput
  | QuotaFailureInput
  | ResourceInfoInput
  | LocalizedMessageInput
  | HelpInput
  | PublicErrorDetail;

const REASON = /^[A-Z][A-Z0-9_]+[A-Z0-9]$/;
const MAX_REASON_LENGTH = 63;
const METADATA_KEY = /^[a-z][a-zA-Z0-9_-]+$/;
const MAX_METADATA_KEY_LENGTH = 64;

/** Which friendly shape an input is, found by the key only that shape has. */
const SHAPES: ReadonlyArray<{ key: string; type: PublicDetailType; allowed: readonly string[] }> = [
  { key: 'reason', type: 'ErrorInfo', allowed: ['reason', 'domain', 'metadata'] },
  { key: 'fieldViolations', type: 'BadRequest', allowed: ['fieldViolations'] },
  { key: 'retryDelayMs', type: 'RetryInfo', allowed: ['retryDelayMs'] },
  { key: 'preconditionViolations', type: 'PreconditionFailure', allowed: ['preconditionViolations'] },
  { key: 'quotaViolations', type: 'QuotaFailure', allowed: ['quotaViolations'] },
  { key: 'resourceType', type: 'ResourceInfo', allowed: ['resourceType', 'resourceName', 'owner', 'description'] },
  { key: 'locale', type: 'LocalizedMessage', allowed: ['locale', 'message'] },
  { key: 'links', type: 'Help', allowed: ['links'] },
];

const PUBLIC_TYPES: readonly string[] = SHAPES.map((s) => s.type);

type Obj = Record<string, unknown>;

function optionalString(where: string, value: unknown): string {
  return value === undefined ? '' : requiredString(where, value);
}

function requireReason(where: string, value: unknown): string {
  const reason = requiredString(where, value, true);
  if (!REASON.test(reason) || reason.length > MAX_REASON_LENGTH) {
    throw new TypeError(
      `${where} must be UPPER_SNAKE_CASE ([A-Z][A-Z0-9_]+[A-Z0-9]) of at most ${MAX_REASON_LENGTH} characters, e.g. "USER_NOT_FOUND"; got ${describeValue(reason)}`,
    );
  }
  return reason;
}

function stringMap(where: string, value: unknown, keyPattern?: RegExp): Record<string, string> {
  if (value === undefined) return {};
  if (!isPlainObject(value)) throw new TypeError(`${where} must be an object of strings; got ${describeValue(value)}`);
  const out: Record<string, string> = {};
  for (const [key, entry] of Object.entries(value)) {
    if (keyPattern && (!keyPattern.test(key) || key.length > MAX_METADATA_KEY_LENGTH)) {
      throw new TypeError(
        `${where}: key ${describeValue(key)} must be lowerCamelCase ([a-z][a-zA-Z0-9_-]+) of at most ${MAX_METADATA_KEY_LENGTH} characters`,
      );
    }
    out[key] = requiredString(`${where}.${key}`, entry);
  }
  return out;
}

function safeInteger(where: string, value: unknown): number {
  return integerOption(where, value, 0, Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER);
}

function localized(where: string, value: unknown): LocalizedMessage {
  const v = requiredObject(where, value, ['locale', 'message']);
  return { locale: requiredString(`${where}.locale`, v.locale, true), message: requiredString(`${where}.message`, v.message) };
}

function helpUrl(where: string, value: unknown): string {
  const url = requiredString(where, value, true);
  try {
    new URL(url);
  } catch {
    throw new TypeError(`${where} must be an absolute URL; got ${describeValue(url)}`);
  }
  return url;
}

/** Builds the complete typed value of one detail from its (validated) fields. */
function buildValue(where: string, type: PublicDetailType, v: Obj): PublicErrorDetail {
  switch (type) {
    case 'ErrorInfo':
      return {
        type,
        value: {
          reason: requireReason(`${where}.reason`, v.reason),
          domain: optionalString(`${where}.domain`, v.domain),
          metadata: stringMap(`${where}.metadata`, v.metadata, METADATA_KEY),
        },
      };
    case 'BadRequest':
      return {
        type,
        value: {
          fieldViolations: nonEmptyArray(`${where}.fieldViolations`, v.fieldViolations).map((raw, i) => {
            const at = `${where}.fieldViolations[${i}]`;
            const f = requiredObject(at, raw, ['field', 'description', 'reason', 'localizedMessage']);
            return {
              field: requiredString(`${at}.field`, f.field, true),
              description: requiredString(`${at}.description`, f.description),
              reason: f.reason === undefined || f.reason === '' ? '' : requireReason(`${at}.reason`, f.reason),
              localizedMessage: f.localizedMessage === undefined ? undefined : localized(`${at}.localizedMessage`, f.localizedMessage),
            };
          }),
        },
      };
    case 'RetryInfo': {
      const ms = v.retryDelayMs;
      if (typeof ms !== 'number' || !Number.isFinite(ms) || ms < 0) {
        throw new TypeError(`${where}.retryDelayMs must be a finite number of milliseconds >= 0; got ${describeValue(ms)}`);
      }
      return { type, value: { retryDelay: msToDuration(ms) } };
    }
    case 'PreconditionFailure':
      return {
        type,
        value: {
          violations: nonEmptyArray(`${where}.preconditionViolations`, v.preconditionViolations).map((raw, i) => {
            const at = `${where}.preconditionViolations[${i}]`;
            const p = requiredObject(at, raw, ['type', 'subject', 'description']);
            return {
              type: requiredString(`${at}.type`, p.type, true),
              subject: requiredString(`${at}.subject`, p.subject),
              description: requiredString(`${at}.description`, p.description),
            };
          }),
        },
      };
    case 'QuotaFailure':
      return {
        type,
        value: {
          violations: nonEmptyArray(`${where}.quotaViolations`, v.quotaViolations).map((raw, i) => {
            const at = `${where}.quotaViolations[${i}]`;
            const q = requiredObject(at, raw, [
              'subject',
              'description',
              'apiService',
              'quotaMetric',
              'quotaId',
              'quotaDimensions',
              'quotaValue',
              'futureQuotaValue',
            ]);
            return {
              subject: requiredString(`${at}.subject`, q.subject),
              description: requiredString(`${at}.description`, q.description),
              apiService: optionalString(`${at}.apiService`, q.apiService),
              quotaMetric: optionalString(`${at}.quotaMetric`, q.quotaMetric),
              quotaId: optionalString(`${at}.quotaId`, q.quotaId),
              quotaDimensions: stringMap(`${at}.quotaDimensions`, q.quotaDimensions),
              quotaValue: q.quotaValue === undefined ? 0 : safeInteger(`${at}.quotaValue`, q.quotaValue),
              futureQuotaValue:
                q.futureQuotaValue === undefined ? undefined : safeInteger(`${at}.futureQuotaValue`, q.futureQuotaValue),
            };
          }),
        },
      };
    case 'ResourceInfo':
      return {
        type,
        value: {
          resourceType: requiredString(`${where}.resourceType`, v.resourceType, true),
          resourceName: requiredString(`${where}.resourceName`, v.resourceName),
          owner: optionalString(`${where}.owner`, v.owner),
          description: optionalString(`${where}.description`, v.description),
        },
      };
    case 'LocalizedMessage':
      return { type, value: localized(where, v) };
    case 'Help':
      return {
        type,
        value: {
          links: nonEmptyArray(`${where}.links`, v.links).map((raw, i) => {
            const at = `${where}.links[${i}]`;
            const l = requiredObject(at, raw, ['description', 'url']);
            return { description: requiredString(`${at}.description`, l.description), url: helpUrl(`${at}.url`, l.url) };
          }),
        },
      };
  }
}

/** Friendly field names of a typed value, so typed details are validated like friendly ones. */
function typedAsFriendly(type: PublicDetailType, value: Obj): Obj {
  switch (type) {
    case 'RetryInfo': {
      const d = value.retryDelay as { seconds?: unknown; nanos?: unknown } | undefined;
      const seconds = typeof d?.seconds === 'number' ? d.seconds : NaN;
      const nanos = typeof d?.nanos === 'number' ? d.nanos : 0;
      return { retryDelayMs: seconds * 1000 + nanos / 1e6 };
    }
    case 'PreconditionFailure':
      return { preconditionViolations: value.violations };
    case 'QuotaFailure':
      return { quotaViolations: value.violations };
    case 'BadRequest':
      return {
        fieldViolations: Array.isArray(value.fieldViolations)
          ? value.fieldViolations.map((f: Obj) => {
              const { localizedMessage, ...rest } = f;
              return localizedMessage === undefined ? rest : { ...rest, localizedMessage };
            })
          : value.fieldViolations,
      };
    case 'ErrorInfo':
      return { ...value, domain: value.domain === '' ? undefined : value.domain };
    default:
      return value;
  }
}

function normaliseOne(where: string, input: unknown): PublicErrorDetail {
  if (!isPlainObject(input)) throw new TypeError(`${where} must be an object; got ${describeValue(input)}`);
  if (typeof input.type === 'string' && 'value' in input) {
    if (!PUBLIC_TYPES.includes(input.type)) {
      throw new TypeError(
        `${where}.type must be one of ${PUBLIC_TYPES.join(', ')} (DebugInfo and RequestInfo are added by the translator); got ${describeValue(input.type)}`,
      );
    }
    const type = input.type as PublicDetailType;
    if (!isPlainObject(input.value)) throw new TypeError(`${where}.value must be an object; got ${describeValue(input.value)}`);
    return buildValue(`${where}.value`, type, typedAsFriendly(type, input.value));
  }
  const matches = SHAPES.filter((s) => s.key in input || (s.type === 'ResourceInfo' && 'resourceName' in input));
  if (matches.length !== 1) {
    throw new TypeError(
      `${where} must be exactly one detail: { reason } (ErrorInfo), { fieldViolations }, { retryDelayMs }, ` +
        `{ preconditionViolations }, { quotaViolations }, { resourceType, resourceName }, { locale, message }, { links }, ` +
        `or a typed { type, value }; got keys ${Object.keys(input).join(', ') || '(none)'}`,
    );
  }
  const shape = matches[0];
  return buildValue(where, shape.type, requiredObject(where, input, shape.allowed));
}

/**
 * Validates PublicError details and builds complete typed values. Throws a TypeError naming the
 * offending field. Each detail type may appear at most once (google.rpc guidance).
 */
export function normalisePublicDetails(
  input: PublicDetailInput | readonly PublicDetailInput[] | undefined,
  where = 'PublicError details',
): readonly PublicErrorDetail[] {
  if (input === undefined) return [];
  const list: readonly unknown[] = Array.isArray(input) ? input : [input];
  const seen = new Set<string>();
  const out: PublicErrorDetail[] = [];
  list.forEach((item, i) => {
    const detail = normaliseOne(Array.isArray(input) ? `${where}[${i}]` : where, item);
    if (seen.has(detail.type)) throw new TypeError(`${where}: ${detail.type} given more than once (at most one of each type)`);
    seen.add(detail.type);
    out.push(detail);
  });
  return out;
}
