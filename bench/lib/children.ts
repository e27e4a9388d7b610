import { spawn, type ChildProcess } from 'node:child_process';
import { childCommand } from './build';
import { REPO_ROOT } from './machine';

/** A benchmark child process (client, server, micro or soak) spoken to over Node IPC. */
export interface Child {
  readonly name: string;
  readonly pid: number | undefined;
  /** Sends one request and waits for its reply (rejects if the child replies with an error or dies). */
  request<T>(type: string, payload?: object): Promise<T>;
  /** Asks the child to exit; kills it if it has not after a grace period. */
  close(): Promise<void>;
  /** Lines the child wrote to stdout/stderr (only the first few are echoed). */
  readonly outputLines: () => number;
}

/** Echo this many lines of a child's output, then only count (a stack logging every failure floods). */
const ECHOED_LINES = 10;

export interface SpawnOptions {
  /** Core to pin the child to with taskset; undefined = no pinning. */
  readonly cpu?: number;
  /** Extra node flags (e.g. --expose-gc). */
  readonly nodeFlags?: readonly string[];
  readonly env?: Readonly<Record<string, string>>;
}

interface Reply {
  readonly id: number;
  /** A progress line from a long request (no reply). */
  readonly log?: string;
  readonly result?: unknown;
  readonly error?: string;
}

/** Starts `entry` (a .ts file under bench/, run as built JavaScript), optionally pinned to one core. */
export function spawnChild(name: string, entry: string, args: readonly string[], options: SpawnOptions = {}): Child {
  const command = childCommand(entry);
  const nodeArgs = [...command.nodeArgs, ...(options.nodeFlags ?? []), command.script, ...args];
  const [cmd, argv] =
    options.cpu === undefined
      ? [process.execPath, nodeArgs]
      : ['taskset', ['-c', String(options.cpu), process.execPath, ...nodeArgs]];
  const child: ChildProcess = spawn(cmd, argv, {
    cwd: REPO_ROOT,
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    env: { ...process.env, ...options.env },
  });
  let lines = 0;
  const echo = (chunk: Buffer) => {
    for (const line of chunk.toString().split('\n')) {
      if (line.length === 0) continue;
      lines++;
      if (lines <= ECHOED_LINES) process.stderr.write(`[${name}] ${line}\n`);
      else if (lines === ECHOED_LINES + 1) process.stderr.write(`[${name}] … further output counted, not shown\n`);
    }
  };
  child.stdout?.on('data', echo);
  child.stderr?.on('data', echo);
  const pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  let nextId = 1;
  let exited = false;
  const exitPromise = new Promise<void>((resolve) => {
    child.on('exit', (code, signal) => {
      exited = true;
      for (const p of pending.values()) p.reject(new Error(`${name} exited (code ${code}, signal ${signal})`));
      pending.clear();
      resolve();
    });
  });
  child.on('message', (message: Reply) => {
    if (message.log !== undefined) {
      console.log(`[${name}] ${message.log}`);
      return;
    }
    const p = pending.get(message.id);
    if (!p) return;
    pending.delete(message.id);
    if (message.error !== undefined) p.reject(new Error(`${name}: ${message.error}`));
    else p.resolve(message.result);
  });
  return {
    name,
    pid: child.pid,
    outputLines: () => lines,
    request<T>(type: string, payload: object = {}): Promise<T> {
      if (exited) return Promise.reject(new Error(`${name} has exited`));
      const id = nextId++;
      return new Promise<T>((resolve, reject) => {
        pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
        child.send({ id, type, ...payload });
      });
    },
    async close(): Promise<void> {
      if (exited) return;
      child.send({ id: 0, type: 'exit' });
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exitPromise;
      clearTimeout(timer);
    },
  };
}
