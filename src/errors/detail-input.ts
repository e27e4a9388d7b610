import { msToDuration } from '../details/codec';
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

function isObject(value: unknown): value is Obj {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'string') return JSON.stringify(value.length > 80 ? `${value.slice(0, 80)}…` : value);
  return typeof value === 'object' ? 'an object' : String(value);
}

function requireString(where: string, value: unknown, nonEmpty = false): string {
  if (typeof value !== 'string' || (nonEmpty && value.length === 0)) {
    throw new TypeError(`${where} must be a ${nonEmpty ? 'non-empty ' : ''}string; got ${describe(value)}`);
  }
  return value;
}

function optionalString(where: string, value: unknown): string {
  return value === undefined ? '' : requireString(where, value);
}

function requireReason(where: string, value: unknown): string {
  const reason = requireString(where, value, true);
  if (!REASON.test(reason) || reason.length > MAX_REASON_LENGTH) {
    throw new TypeError(
      `${where} must be UPPER_SNAKE_CASE ([A-Z][A-Z0-9_]+[A-Z0-9]) of at most ${MAX_REASON_LENGTH} characters, e.g. "USER_NOT_FOUND"; got ${describe(reason)}`,
    );
  }
  return reason;
}

function requireArray(where: string, value: unknown): unknown[] {
  if (!Array.isArray(value) || value.length === 0) {
    throw new TypeError(`${where} must be a non-empty array; got ${describe(value)}`);
  }
  return value;
}

function requireKeys(where: string, value: unknown, allowed: readonly string[]): Obj {
  if (!isObject(value)) throw new TypeError(`${where} must be an object; got ${describe(value)}`);
  for (const key of Object.keys(value)) {
    if (!allowed.includes(key)) throw new TypeError(`${where}: unknown field "${key}"; allowed: ${allowed.join(', ')}`);
  }
  return value;
}

function stringMap(where: string, value: unknown, keyPattern?: RegExp): Record<string, string> {
  if (value === undefined) return {};
  if (!isObject(value)) throw new TypeError(`${where} must be an object of strings; got ${describe(value)}`);
  const out: Record<string, string> = {};
  for (const [key, entry] of Object.entries(value)) {
    if (keyPattern && (!keyPattern.test(key) || key.length > MAX_METADATA_KEY_LENGTH)) {
      throw new TypeError(
        `${where}: key ${describe(key)} must be lowerCamelCase ([a-z][a-zA-Z0-9_-]+) of at most ${MAX_METADATA_KEY_LENGTH} characters`,
      );
    }
    out[key] = requireString(`${where}.${key}`, entry);
  }
  return out;
}

function safeInteger(where: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value)) {
    throw new TypeError(`${where} must be a whole number; got ${describe(value)}`);
  }
  return value;
}

function localized(where: string, value: unknown): LocalizedMessage {
  const v = requireKeys(where, value, ['locale', 'message']);
  return { locale: requireString(`${where}.locale`, v.locale, true), message: requireString(`${where}.message`, v.message) };
}

function helpUrl(where: string, value: unknown): string {
  const url = requireString(where, value, true);
  try {
    new URL(url);
  } catch {
    throw new TypeError(`${where} must be an absolute URL; got ${describe(url)}`);
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
          fieldViolations: requireArray(`${where}.fieldViolations`, v.fieldViolations).map((raw, i) => {
            const at = `${where}.fieldViolations[${i}]`;
            const f = requireKeys(at, raw, ['field', 'description', 'reason', 'localizedMessage']);
            return {
              field: requireString(`${at}.field`, f.field, true),
              description: requireString(`${at}.description`, f.description),
              reason: f.reason === undefined || f.reason === '' ? '' : requireReason(`${at}.reason`, f.reason),
              localizedMessage: f.localizedMessage === undefined ? undefined : localized(`${at}.localizedMessage`, f.localizedMessage),
            };
          }),
        },
      };
    case 'RetryInfo': {
      const ms = v.retryDelayMs;
      if (typeof ms !== 'number' || !Number.isFinite(ms) || ms < 0) {
        throw new TypeError(`${where}.retryDelayMs must be a finite number of milliseconds >= 0; got ${describe(ms)}`);
      }
      return { type, value: { retryDelay: msToDuration(ms) } };
    }
    case 'PreconditionFailure':
      return {
        type,
        value: {
          violations: requireArray(`${where}.preconditionViolations`, v.preconditionViolations).map((raw, i) => {
            const at = `${where}.preconditionViolations[${i}]`;
            const p = requireKeys(at, raw, ['type', 'subject', 'description']);
            return {
              type: requireString(`${at}.type`, p.type, true),
              subject: requireString(`${at}.subject`, p.subject),
              description: requireString(`${at}.description`, p.description),
            };
          }),
        },
      };
    case 'QuotaFailure':
      return {
        type,
        value: {
          violations: requireArray(`${where}.quotaViolations`, v.quotaViolations).map((raw, i) => {
            const at = `${where}.quotaViolations[${i}]`;
            const q = requireKeys(at, raw, [
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
              subject: requireString(`${at}.subject`, q.subject),
              description: requireString(`${at}.description`, q.description),
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
          resourceType: requireString(`${where}.resourceType`, v.resourceType, true),
          resourceName: requireString(`${where}.resourceName`, v.resourceName),
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
          links: requireArray(`${where}.links`, v.links).map((raw, i) => {
            const at = `${where}.links[${i}]`;
            const l = requireKeys(at, raw, ['description', 'url']);
            return { description: requireString(`${at}.description`, l.description), url: helpUrl(`${at}.url`, l.url) };
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
  if (!isObject(input)) throw new TypeError(`${where} must be an object; got ${describe(input)}`);
  if (typeof input.type === 'string' && 'value' in input) {
    if (!PUBLIC_TYPES.includes(input.type)) {
      throw new TypeError(
        `${where}.type must be one of ${PUBLIC_TYPES.join(', ')} (DebugInfo and RequestInfo are added by the translator); got ${describe(input.type)}`,
      );
    }
    const type = input.type as PublicDetailType;
    if (!isObject(input.value)) throw new TypeError(`${where}.value must be an object; got ${describe(input.value)}`);
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
  return buildValue(where, shape.type, requireKeys(where, input, shape.allowed));
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
