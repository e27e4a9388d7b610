import { describe, expect, it } from 'vitest';
import { clientInterceptors, serverInterceptors } from '../../src/stack';
import { breakerKey } from '../../src/breaker/key';
import { deadlineClientInterceptor } from '../../src/deadline/client-interceptor';
import { DeadlinePolicies } from '../../src/deadline/policy';
import { deadlineServerInterceptor } from '../../src/deadline/server-interceptor';
import { fallbackClientInterceptor } from '../../src/fallback/interceptor';
import { methodNameOf, parseMethodKey, parseMethodKeys, serviceOf } from '../../src/internal/method-keys';
import { readServices } from '../../src/internal/services';
import { resolveRetryOptions } from '../../src/retry/options';
import { createStatusTable } from '../../src/status/table';
import { compileRules, ruleFor } from '../../src/testing/rules';
import { faultInjector } from '../../src/testing/injector';
import { ECHO_PATHS, EchoService } from '../helpers';

/** A service as a hand-written grpc-js definition: methods with a path. */
const Inventory = {
  getItem: { path: '/shop.v1.Inventory/GetItem' },
  listItems: { path: '/shop.v1.Inventory/ListItems' },
  reserve: { path: '/shop.v1.Inventory/Reserve' },
};
const Orders = { place: { path: '/shop.v1.Orders/Place' } };
const known = readServices([Inventory, Orders], 'service')!;
const table = (keyed: unknown) => parseMethodKeys('x.methods', keyed, (_where, value) => value, { known });

describe('the method-key grammar', () => {
  it('reads a method path, a service (two ways) and *', () => {
    expect(parseMethodKey('/pkg.S/M')).toEqual({ kind: 'method', path: '/pkg.S/M' });
    expect(parseMethodKey('pkg.S')).toEqual({ kind: 'service', service: 'pkg.S' });
    expect(parseMethodKey('/pkg.S/*')).toEqual({ kind: 'service', service: 'pkg.S' });
    expect(parseMethodKey('*')).toEqual({ kind: 'any' });
    expect(parseMethodKey('  /pkg.S/M ')).toEqual({ kind: 'method', path: '/pkg.S/M' });
  });

  it.each(['/pkg.S', 'pkg.S/M', '/pkg.S/', '//M', '/pkg.S/M/', '/pkg S/M', 'a/b/c', '', '/*/M', 'pkg.*'])('rejects %j', (key) => {
    expect(parseMethodKey(key)).toBeUndefined();
  });

  it('one service-of and method-of for every concern', () => {
    expect(serviceOf('/shop.v1.Inventory/GetItem')).toBe('shop.v1.Inventory');
    expect(methodNameOf('/shop.v1.Inventory/GetItem')).toBe('GetItem');
    expect(breakerKey('dns:shop:443', '/shop.v1.Inventory/GetItem', 'service')).toBe('dns:shop:443/shop.v1.Inventory');
    expect(breakerKey('dns:shop:443', '/shop.v1.Inventory/GetItem', 'method')).toBe('dns:shop:443/shop.v1.Inventory/GetItem');
  });

  it('finds the most specific entry and layers method over service over the rest', () => {
    const t = parseMethodKeys('x', { '*': 'any', 'pkg.S': 'service', '/pkg.S/M': 'method' }, (_w, v) => v as string, { accepts: 'any' });
    expect([t.find('/pkg.S/M'), t.find('/pkg.S/N'), t.find('/other.S/M')]).toEqual(['method', 'service', 'any']);
    const layered = t.layered('base', (under, entry) => `${under}>${entry}`);
    expect([layered.find('/pkg.S/M'), layered.find('/pkg.S/N'), layered.find('/o.S/M')]).toEqual([
      'base>any>service>method',
      'base>any>service',
      'base>any',
    ]);
  });

  it('rejects two keys for the same method or service', () => {
    expect(() => parseMethodKeys('x', { 'pkg.S': 1, '/pkg.S/*': 2 }, (_w, v) => v)).toThrow(
      'x: "/pkg.S/*" and "pkg.S" name the same service; keep one',
    );
    expect(() => parseMethodKeys('x', { '/pkg.S/M': 1, ' /pkg.S/M': 2 }, (_w, v) => v)).toThrow(/name the same method/);
  });
});

describe('keys checked against the service definitions', () => {
  it('accepts keys that name a method or a service of them', () => {
    const t = table({ '/shop.v1.Inventory/GetItem': 1, 'shop.v1.Orders': 2, '/shop.v1.Inventory/*': 3 });
    expect(t.find('/shop.v1.Inventory/GetItem')).toBe(1);
    expect(t.find('/shop.v1.Orders/Place')).toBe(2);
  });

  it('a misspelt method names the nearest real one', () => {
    expect(() => table({ '/shop.v1.Inventory/GetItm': 1 })).toThrow(
      'x.methods: "/shop.v1.Inventory/GetItm" is not a method of the services given; did you mean "/shop.v1.Inventory/GetItem" (1 edit away)?',
    );
  });

  it('a method in the wrong case', () => {
    expect(() => table({ '/shop.v1.Inventory/getItem': 1 })).toThrow(/did you mean "\/shop\.v1\.Inventory\/GetItem" \(the case differs\)/);
    expect(() => table({ 'shop.v1.inventory': 1 })).toThrow(
      'x.methods: "shop.v1.inventory" is not one of the services given; did you mean "shop.v1.Inventory" (the case differs)?',
    );
  });

  it('a method or service in the wrong package', () => {
    expect(() => table({ '/shop.v2.Inventory/ListItems': 1 })).toThrow(
      /did you mean "\/shop\.v1\.Inventory\/ListItems" \(the package differs\)/,
    );
    expect(() => table({ 'store.Orders': 1 })).toThrow(/did you mean "shop\.v1\.Orders" \(the package differs\)/);
  });

  it('a key close to nothing lists the known names, nearest first', () => {
    expect(() => table({ '/billing.v1.Invoices/Send': 1 })).toThrow(
      /is not a method of the services given; known, nearest first: .*"\/shop\.v1\.Orders\/Place"/,
    );
  });

  it('without definitions, keys are checked for shape only', () => {
    expect(parseMethodKeys('x', { '/any.S/M': 1 }, (_w, v) => v).find('/any.S/M')).toBe(1);
  });
});

describe("each concern's method keys", () => {
  it('retry', () => {
    expect(() => resolveRetryOptions({ service: Inventory, methods: { '/shop.v1.Inventory/Reserv': { maxAttempts: 1 } } })).toThrow(
      'retry.methods: "/shop.v1.Inventory/Reserv" is not a method of the services given; did you mean "/shop.v1.Inventory/Reserve"',
    );
    expect(() => resolveRetryOptions({ methods: { '/shop.v1.Inventory': {} } })).toThrow(/retry\.methods: "\/shop\.v1\.Inventory" is neither a method path/);
  });

  it('deadline (client): a key that never matched is now an error, trimmed keys match', () => {
    expect(() => DeadlinePolicies.compile('deadline', {}, { '/pkg.S': { marginMs: 1 } })).toThrow(/deadline\.methods: "\/pkg\.S" is neither a method path/);
    expect(() => DeadlinePolicies.compile('deadline', {}, { 'pkg.S/M': { marginMs: 1 } })).toThrow(/deadline\.methods: "pkg\.S\/M" is neither/);
    expect(DeadlinePolicies.compile('deadline', {}, { ' /pkg.S/M ': { marginMs: 1 } }).forMethod('/pkg.S/M').marginMs).toBe(1);
    expect(() => deadlineClientInterceptor({ service: Inventory, methods: { '/shop.v1.Inventory/ListItem': { marginMs: 1 } } })).toThrow(
      /deadline\.methods: "\/shop\.v1\.Inventory\/ListItem" is not a method of the services given; did you mean "\/shop\.v1\.Inventory\/ListItems"/,
    );
  });

  it('deadline (server)', () => {
    expect(() => deadlineServerInterceptor({ methods: { 'pkg.S/M': { minRemainingMs: 5 } } })).toThrow(/deadline\.methods: "pkg\.S\/M" is neither/);
    expect(() => deadlineServerInterceptor({ service: EchoService, methods: { '/test.v1.EchoService/Unry': { minRemainingMs: 5 } } })).toThrow(
      /did you mean "\/test\.v1\.EchoService\/Unary"/,
    );
    expect(() => deadlineServerInterceptor({ methods: null as never })).toThrow(/deadline\.methods must be an object keyed by method path/);
  });

  it('status table', () => {
    expect(() => createStatusTable({ service: Inventory, methods: { 'shop.v1.Inventry': { INTERNAL: { retry: 'always' } } } })).toThrow(
      /statusTable\.methods: "shop\.v1\.Inventry" is not one of the services given; did you mean "shop\.v1\.Inventory"/,
    );
  });

  it('fallback: one method per entry, and a misspelt key fails at construction, not during an outage', () => {
    expect(() => fallbackClientInterceptor({ 'shop.v1.Inventory': () => ({}) })).toThrow(
      /fallback: "shop\.v1\.Inventory" names a service; each entry is for one method/,
    );
    expect(() => fallbackClientInterceptor({ '/shop.v1.Inventory/GetItems': () => ({}) }, { service: Inventory })).toThrow(
      'fallback: "/shop.v1.Inventory/GetItems" is not a method of the services given; did you mean "/shop.v1.Inventory/GetItem" (1 edit away)?',
    );
    expect(() => clientInterceptors({ service: EchoService, fallback: { '/test.v1.EchoService/unary': () => ({}) } })).toThrow(
      /fallback: "\/test\.v1\.EchoService\/unary" is not a method of the services given; did you mean "\/test\.v1\.EchoService\/Unary" \(the case differs\)/,
    );
  });

  it('the stacks check every section against their service', () => {
    const service = EchoService;
    expect(() => clientInterceptors({ service, retry: { methods: { 'test.v2.EchoService': {} } } })).toThrow(/retry\.methods: .*the package differs/);
    expect(() => clientInterceptors({ service, deadline: { methods: { '/test.v1.EchoService/Wrte': {} } } })).toThrow(/deadline\.methods: .*Write/);
    expect(() => clientInterceptors({ service, statusTable: { methods: { '/test.v1.Echo/Unary': {} } } })).toThrow(/statusTable\.methods: /);
    expect(() => serverInterceptors({ service, deadline: { methods: { '/test.v1.EchoService/Bid': {} } } })).toThrow(/did you mean "\/test\.v1\.EchoService\/Bidi"/);
    expect(() => serverInterceptors({ service, statusTable: { methods: { 'test.v1.EchoServices': {} } } })).toThrow(/statusTable\.methods: /);
    const stack = clientInterceptors({
      service,
      retry: { methods: { [ECHO_PATHS.unary]: { maxAttempts: 2 } } },
      deadline: { methods: { 'test.v1.EchoService': { defaultTimeoutMs: 1000 } } },
      statusTable: { methods: { '/test.v1.EchoService/*': {} } },
      fallback: { [ECHO_PATHS.unary]: () => ({}) },
    });
    expect(stack.length).toBeGreaterThan(0);
    stack.dispose();
  });
});

describe('fault rules', () => {
  it("take '/pkg.Service/*' as the service, so the rule fires", () => {
    const rules = compileRules({ '/pkg.Svc/*': { latency: 5 } });
    expect(ruleFor(rules, '/pkg.Svc/Any')?.latency?.sample(() => 0)).toBe(5);
  });

  it('are checked against the service the injector serves', () => {
    expect(() => faultInjector({ service: EchoService, rules: { '/test.v1.EchoService/ServerStrem': { error: {} } } })).toThrow(
      /faultInjector\.rules: "\/test\.v1\.EchoService\/ServerStrem" is not a method of the services given; did you mean "\/test\.v1\.EchoService\/ServerStream"/,
    );
    const injector = faultInjector({ service: EchoService, rules: { '*': { latency: 1 } } });
    expect(() => injector.setRules({ 'test.v1.Echo': { latency: 1 } })).toThrow(/rules: "test\.v1\.Echo" is not one of the services given/);
    injector.dispose();
  });
});
