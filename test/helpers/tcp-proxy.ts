import * as net from 'node:net';

/** Added latency per chunk, per direction: `up` is client → target, `down` is target → client. */
export interface ProxyLatency {
  readonly upMs: number;
  readonly downMs: number;
}

export interface TcpProxyStats {
  /** Connections accepted (refused ones excluded). */
  readonly connections: number;
  /** Connections open now. */
  readonly active: number;
  /** Connections closed at once by `refuse(true)`. */
  readonly refused: number;
  /** Connections torn down by `resetAll()`. */
  readonly resets: number;
  /** Bytes forwarded client → target. */
  readonly bytesUp: number;
  /** Bytes forwarded target → client. */
  readonly bytesDown: number;
}

export interface TcpProxy {
  readonly port: number;
  /** `127.0.0.1:<port>`: point clients here instead of at the target. */
  readonly address: string;
  /** Delays every chunk by `ms` (a number sets both directions). Order is kept; 0 turns it off. */
  setLatency(ms: number | Partial<ProxyLatency>): void;
  /**
   * While on, nothing is forwarded in either direction, on existing and new connections alike:
   * sockets stay open and stop being read, so data waits in the kernel buffers as in a network
   * partition. Turning it off delivers what waited, in order.
   */
  blackhole(on: boolean): void;
  /** While on, new connections are reset as soon as they are accepted. */
  refuse(on: boolean): void;
  /** Resets (TCP RST) every open connection, both sides; returns how many. */
  resetAll(): number;
  /** Back to a clean pass-through: no latency, no blackhole, no refusal. */
  heal(): void;
  stats(): TcpProxyStats;
  /** Stops listening and destroys every connection; resolves once the listener is closed. */
  close(): Promise<void>;
}

// Stop reading from a side while this much waits in its latency queue.
const MAX_QUEUED_BYTES = 1 << 20;

interface ProxyState {
  latency: ProxyLatency;
  blackholed: boolean;
  bytesUp: number;
  bytesDown: number;
}

/** Starts a TCP proxy on 127.0.0.1 (ephemeral port) in front of `127.0.0.1:<targetPort>`. */
export async function startTcpProxy(targetPort: number, options: { latency?: number | Partial<ProxyLatency> } = {}): Promise<TcpProxy> {
  const state: ProxyState = { latency: { upMs: 0, downMs: 0 }, blackholed: false, bytesUp: 0, bytesDown: 0 };
  const links = new Set<Link>();
  let refusing = false;
  let connections = 0;
  let refused = 0;
  let resets = 0;

  const server = net.createServer((client) => {
    client.on('error', () => undefined); // resets are the point of this proxy; an error just ends the link
    if (refusing) {
      refused++;
      client.resetAndDestroy();
      return;
    }
    connections++;
    const link = new Link(client, net.connect({ host: '127.0.0.1', port: targetPort }), state, () => links.delete(link));
    links.add(link);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as net.AddressInfo).port;

  const setLatency = (value: number | Partial<ProxyLatency>) => {
    const next = typeof value === 'number' ? { upMs: value, downMs: value } : { ...state.latency, ...value };
    for (const ms of [next.upMs, next.downMs]) {
      if (!Number.isFinite(ms) || ms < 0) throw new RangeError(`latency must be a finite number ≥ 0; got ${ms}`);
    }
    state.latency = next;
  };
  const blackhole = (on: boolean) => {
    state.blackholed = on;
    for (const link of links) link.flowChanged();
  };
  if (options.latency !== undefined) setLatency(options.latency);

  return {
    port,
    address: `127.0.0.1:${port}`,
    setLatency,
    blackhole,
    refuse: (on) => {
      refusing = on;
    },
    resetAll: () => {
      const n = links.size;
      for (const link of [...links]) link.reset();
      resets += n;
      return n;
    },
    heal: () => {
      refusing = false;
      setLatency(0);
      blackhole(false);
    },
    stats: () => ({ connections, active: links.size, refused, resets, bytesUp: state.bytesUp, bytesDown: state.bytesDown }),
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const link of [...links]) link.destroy();
      }),
  };
}

/** One proxied connection: the accepted client socket and its upstream socket. */
class Link {
  private readonly up: Pipe;
  private readonly down: Pipe;
  private closed = false;

  constructor(
    private readonly client: net.Socket,
    private readonly upstream: net.Socket,
    state: ProxyState,
    private readonly onClosed: () => void,
  ) {
    this.up = new Pipe(client, upstream, state, 'up');
    this.down = new Pipe(upstream, client, state, 'down');
    // An error on one side (a reset, a refused upstream) is passed on to the other as a reset.
    client.on('error', () => this.reset());
    upstream.on('error', () => this.reset());
    client.on('close', () => this.destroy());
    upstream.on('close', () => this.destroy());
  }

  flowChanged(): void {
    this.up.flowChanged();
    this.down.flowChanged();
  }

  reset(): void {
    this.finish();
    for (const socket of [this.client, this.upstream]) {
      if (!socket.destroyed) socket.resetAndDestroy();
    }
  }

  destroy(): void {
    this.finish();
    this.client.destroy();
    this.upstream.destroy();
  }

  private finish(): void {
    if (this.closed) return;
    this.closed = true;
    this.up.dispose();
    this.down.dispose();
    this.onClosed();
  }
}

interface Chunk {
  readonly data: Buffer;
  readonly due: number;
}

/** One direction of a link: reads `from`, delays, writes `to`, honouring blackhole and backpressure. */
class Pipe {
  private readonly queue: Chunk[] = [];
  private queuedBytes = 0;
  private lastDue = 0;
  private timer: NodeJS.Timeout | undefined;
  private waitingForDrain = false;
  private sourceEnded = false;
  private paused = false;
  private disposed = false;

  constructor(
    private readonly from: net.Socket,
    private readonly to: net.Socket,
    private readonly state: ProxyState,
    private readonly direction: 'up' | 'down',
  ) {
    from.on('data', (data: Buffer) => this.push(data));
    from.on('end', () => {
      this.sourceEnded = true;
      this.flush();
    });
    to.on('drain', () => {
      this.waitingForDrain = false;
      this.flush();
    });
    this.flowChanged();
  }

  flowChanged(): void {
    this.flush();
  }

  dispose(): void {
    this.disposed = true;
    clearTimeout(this.timer);
    this.timer = undefined;
    this.queue.length = 0;
  }

  private push(data: Buffer): void {
    const latency = this.direction === 'up' ? this.state.latency.upMs : this.state.latency.downMs;
    // Never earlier than the chunk before it, so a latency change cannot reorder the stream.
    const due = Math.max(performance.now() + latency, this.lastDue);
    this.lastDue = due;
    this.queue.push({ data, due });
    this.queuedBytes += data.length;
    this.flush();
  }

  private flush(): void {
    if (this.disposed) return;
    clearTimeout(this.timer);
    this.timer = undefined;
    if (!this.state.blackholed) {
      const now = performance.now();
      while (this.queue.length > 0 && this.queue[0].due <= now && !this.waitingForDrain) {
        const { data } = this.queue.shift()!;
        this.queuedBytes -= data.length;
        if (this.direction === 'up') this.state.bytesUp += data.length;
        else this.state.bytesDown += data.length;
        if (!this.to.write(data)) this.waitingForDrain = true;
      }
      if (this.queue.length > 0 && !this.waitingForDrain) {
        this.timer = setTimeout(() => this.flush(), Math.max(0, this.queue[0].due - now));
      } else if (this.queue.length === 0 && this.sourceEnded && !this.to.destroyed) {
        this.to.end();
      }
    }
    this.setPaused(this.state.blackholed || this.waitingForDrain || this.queuedBytes > MAX_QUEUED_BYTES);
  }

  private setPaused(paused: boolean): void {
    if (paused === this.paused) return;
    this.paused = paused;
    if (paused) this.from.pause();
    else this.from.resume();
  }
}
