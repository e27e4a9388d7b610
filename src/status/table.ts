import { isKnownStatusCode, parseStatusCode } from './codes';
import {
  DEFAULT_CLASSIFICATIONS,
  UNKNOWN_CODE_CLASSIFICATION,
  type RetryCondition,
  type RetryMode,
  type StatusClassification,
} from './classification';

/** Changes to some rows: keys are codes (numbers) or names (`'UNAVAILABLE'`). */
export type StatusOverrides = Readonly<Record<string | number, Partial<StatusClassification>>>;

export interface StatusTableOptions {
  /** Changes applied to every method. */
  readonly overrides?: StatusOverrides;
  /**
   * Changes for some methods, keyed by full path (`/pkg.Service/Method`) or by service
   * (`pkg.Service` or `/pkg.Service/*`). A method entry applies on top of its service entry.
   */
  readonly methods?: Readonly<Record<string, StatusOverrides>>;
}

/** The classification table shared by every interceptor of a stack. */
export interface StatusTable {
  /** The classification of `code` for `method` (a full path), applying overrides. */
  classify(code: number, method?: string): StatusClassification;
}

const RETRY_MODES: readonly RetryMode[] = ['always', 'idempotent', 'never'];
const RETRY_CONDITIONS: readonly RetryCondition[] = ['pushback', 'attempt-timeout'];

type Row = readonly StatusClassification[];

class CompiledStatusTable implements StatusTable {
  constructor(
    private readonly base: Row,
    private readonly perMethod: ReadonlyMap<string, Row>,
    private readonly perService: ReadonlyMap<string, Row>,
  ) {}

  classify(code: number, method?: string): StatusClassification {
    let row = this.base;
    if (method !== undefined && (this.perMethod.size > 0 || this.perService.size > 0)) {
      row = this.perMethod.get(method) ?? this.perService.get(serviceOf(method)) ?? this.base;
    }
    return isKnownStatusCode(code) ? row[code] : UNKNOWN_CODE_CLASSIFICATION;
  }
}

/** `/pkg.Service/Method` → `pkg.Service`. */
function serviceOf(path: string): string {
  const end = path.lastIndexOf('/');
  return end > 0 ? path.slice(path.charCodeAt(0) === 47 ? 1 : 0, end) : path;
}

function validatePartial(where: string, value: Partial<StatusClassification>): void {
  if (value === null || typeof value !== 'object') {
    throw new TypeError(`${where}: expected an object like { retry: 'never' }, got ${typeof value}`);
  }
  for (const key of Object.keys(value)) {
    if (!['retry', 'retryOnlyWith', 'breakerFailure', 'clientFault', 'exposable'].includes(key)) {
      throw new TypeError(
        `${where}: unknown field "${key}"; allowed: retry, retryOnlyWith, breakerFailure, clientFault, exposable`,
      );
    }
  }
  if (value.retry !== undefined && !RETRY_MODES.includes(value.retry)) {
    throw new TypeError(`${where}.retry must be one of ${RETRY_MODES.join(', ')}; got ${String(value.retry)}`);
  }
  if (value.retryOnlyWith !== undefined && !RETRY_CONDITIONS.includes(value.retryOnlyWith)) {
    throw new TypeError(
      `${where}.retryOnlyWith must be one of ${RETRY_CONDITIONS.join(', ')} or undefined; got ${String(value.retryOnlyWith)}`,
    );
  }
  for (const flag of ['breakerFailure', 'clientFault', 'exposable'] as const) {
    if (value[flag] !== undefined && typeof value[flag] !== 'boolean') {
      throw new TypeError(`${where}.${flag} must be a boolean; got ${typeof value[flag]}`);
    }
  }
}

function applyOverrides(where: string, row: Row, overrides: StatusOverrides): Row {
  const next = row.slice();
  for (const [key, change] of Object.entries(overrides)) {
    const code = parseStatusCode(/^\d+$/.test(key) ? Number(key) : key);
    if (code === undefined) {
      throw new TypeError(`${where}: "${key}" is not a gRPC status code (use 0–16 or a name like UNAVAILABLE)`);
    }
    validatePartial(`${where}[${key}]`, change);
    const merged = { ...next[code], ...change };
    // An explicit `retryOnlyWith: undefined` removes the condition.
    if ('retryOnlyWith' in change && change.retryOnlyWith === undefined) delete (merged as { retryOnlyWith?: unknown }).retryOnlyWith;
    next[code] = Object.freeze(merged);
  }
  return Object.freeze(next);
}

function normaliseKey(key: string): { kind: 'method' | 'service'; key: string } {
  const trimmed = key.trim();
  if (trimmed.endsWith('/*')) return { kind: 'service', key: trimmed.slice(trimmed.startsWith('/') ? 1 : 0, -2) };
  if (trimmed.startsWith('/') && trimmed.indexOf('/', 1) > 0) return { kind: 'method', key: trimmed };
  if (!trimmed.includes('/') && trimmed.length > 0) return { kind: 'service', key: trimmed };
  throw new TypeError(
    `statusTable.methods: "${key}" is neither a method path (/pkg.Service/Method) nor a service (pkg.Service or /pkg.Service/*)`,
  );
}

/** Builds a table from the defaults plus overrides; throws a descriptive error on bad input. */
export function createStatusTable(options: StatusTableOptions = {}): StatusTable {
  if (options === null || typeof options !== 'object') {
    throw new TypeError('statusTable: expected an object with optional "overrides" and "methods"');
  }
  const defaults: Row = Object.freeze(Array.from({ length: 17 }, (_, code) => DEFAULT_CLASSIFICATIONS[code as 0]));
  const base = options.overrides ? applyOverrides('statusTable.overrides', defaults, options.overrides) : defaults;
  const perService = new Map<string, Row>();
  const perMethod = new Map<string, Row>();
  const methodEntries: Array<[string, StatusOverrides]> = [];
  for (const [rawKey, overrides] of Object.entries(options.methods ?? {})) {
    const { kind, key } = normaliseKey(rawKey);
    if (kind === 'service') perService.set(key, applyOverrides(`statusTable.methods["${rawKey}"]`, base, overrides));
    else methodEntries.push([key, overrides]);
  }
  for (const [path, overrides] of methodEntries) {
    const parent = perService.get(serviceOf(path)) ?? base;
    perMethod.set(path, applyOverrides(`statusTable.methods["${path}"]`, parent, overrides));
  }
  return new CompiledStatusTable(base, perMethod, perService);
}

/** The table with no overrides. */
export const defaultStatusTable: StatusTable = createStatusTable();

/** Accepts a built table or options for one. */
export function resolveStatusTable(value: StatusTable | StatusTableOptions | undefined): StatusTable {
  if (value === undefined) return defaultStatusTable;
  if (typeof (value as StatusTable).classify === 'function') return value as StatusTable;
  return createStatusTable(value as StatusTableOptions);
}
