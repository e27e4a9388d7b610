import * as http2 from 'node:http2';
import type { AddressInfo } from 'node:net';

/**
 * Hand-built gRPC over HTTP/2, for inputs grpc-js refuses to produce: arbitrary request headers and
 * message frames (client side), arbitrary response headers, trailers and frames (server side).
 */

/** A gRPC message frame: 1-byte compressed flag, 4-byte big-endian length, payload. */
export function grpcFrame(payload: Buffer, options: { flag?: number; declaredLength?: number } = {}): Buffer {
  const prefix = Buffer.alloc(5);
  prefix.writeUInt8(options.flag ?? 0, 0);
  prefix.writeUInt32BE(options.declaredLength ?? payload.length, 1);
  return Buffer.concat([prefix, payload]);
}

/** Everything a raw client saw of one request. */
export interface RawResponse {
  /** Response headers (`:status` included), when any came. */
  readonly headers?: http2.IncomingHttpHeaders;
  readonly trailers?: http2.IncomingHttpHeaders;
  readonly data: Buffer;
  /** The stream's RST code when it was reset (0 for a clean close). */
  readonly rstCode?: number;
  /** The client could not send the request (node refused the headers) or the stream failed. */
  readonly error?: string;
  /** No end within the time limit. */
  readonly timedOut: boolean;
}

/** Sends one request on `session` and collects the answer; never rejects. */
export function rawRequest(
  session: http2.ClientHttp2Session,
  request: { headers: http2.OutgoingHttpHeaders; body: Buffer; timeoutMs: number },
): Promise<RawResponse> {
  return new Promise((resolve) => {
    let stream: http2.ClientHttp2Stream;
    try {
      stream = session.request(request.headers, { endStream: false });
    } catch (error) {
      resolve({ data: Buffer.alloc(0), error: (error as { code?: string }).code ?? String(error), timedOut: false });
      return;
    }
    let headers: http2.IncomingHttpHeaders | undefined;
    let trailers: http2.IncomingHttpHeaders | undefined;
    let error: string | undefined;
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => {
      finish(true);
      stream.close(http2.constants.NGHTTP2_CANCEL);
    }, request.timeoutMs);
    let done = false;
    const finish = (timedOut: boolean) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      resolve({ headers, trailers, data: Buffer.concat(chunks), rstCode: stream.rstCode, error, timedOut });
    };
    stream.on('response', (h) => (headers = h));
    stream.on('trailers', (t) => (trailers = t));
    stream.on('data', (chunk: Buffer) => chunks.push(chunk));
    stream.on('error', (e: NodeJS.ErrnoException) => (error = e.code ?? e.message));
    stream.on('close', () => finish(false));
    stream.end(request.body);
  });
}

/** An HTTP/2 client session to `127.0.0.1:<port>` (errors are recorded, never thrown). */
export function rawSession(port: number): Promise<http2.ClientHttp2Session & { failed?: string }> {
  return new Promise((resolve, reject) => {
    const session = http2.connect(`http://127.0.0.1:${port}`) as http2.ClientHttp2Session & { failed?: string };
    session.on('error', (e: NodeJS.ErrnoException) => (session.failed = e.code ?? e.message));
    session.once('connect', () => resolve(session));
    session.once('error', reject);
  });
}

/** Closes a session, waiting until its socket is gone. */
export function closeSession(session: http2.ClientHttp2Session): Promise<void> {
  return new Promise((resolve) => {
    if (session.destroyed) return resolve();
    session.close(() => resolve());
    setTimeout(() => session.destroy(), 500).unref();
  });
}

/** What a rogue server answers to one request. */
export type RogueAnswer = (stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders) => void;

export interface RogueServer {
  readonly port: number;
  readonly address: string;
  /** Request headers of every request received. */
  readonly requests: http2.IncomingHttpHeaders[];
  close(): Promise<void>;
}

/** A plain node:http2 server on 127.0.0.1 that answers every request with `answer` (a misbehaving peer). */
export async function startRogueServer(answer: RogueAnswer): Promise<RogueServer> {
  const requests: http2.IncomingHttpHeaders[] = [];
  const sessions = new Set<http2.ServerHttp2Session>();
  const server = http2.createServer();
  server.on('session', (session) => {
    sessions.add(session);
    session.on('error', () => undefined);
    session.on('close', () => sessions.delete(session));
  });
  server.on('stream', (stream, headers) => {
    requests.push(headers);
    stream.on('error', () => undefined);
    // Read the request to its end first, as a real server would before answering a unary call.
    stream.resume();
    stream.on('end', () => {
      try {
        answer(stream, headers);
      } catch {
        if (!stream.destroyed) stream.close(http2.constants.NGHTTP2_INTERNAL_ERROR);
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    port,
    address: `127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const session of sessions) session.destroy();
      }),
  };
}

/** Decodes a `grpc-message` value (percent-encoded UTF-8); undecodable input is returned as is. */
export function decodeGrpcMessage(value: string | string[] | undefined): string {
  const text = Array.isArray(value) ? value.join(',') : value ?? '';
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}
