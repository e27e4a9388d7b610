import type { InterceptingCallInterface, MessageContext } from '../internal/grpc-types';

/** One message of a client stream; `context` (the writer's callback) is kept until a write completes. */
interface Entry {
  readonly message: unknown;
  readonly flags: number | undefined;
  context: MessageContext | undefined;
}

/**
 * The request side of a buffered client-streaming or bidi call (`bufferClientStreams`): it keeps
 * the messages written so far so each new attempt can be sent all of them, in order, then the
 * half-close. A grpc-js call takes one write at a time, so messages are handed over one by one,
 * each after the previous write completed. The writer's callback fires when its message was
 * first written, which keeps the writer flow-controlled.
 *
 * Once the call commits (a response arrived, or the messages outgrew `maxBytes`) nothing is kept
 * for replay any more: messages are dropped as soon as the live attempt has taken them.
 */
export class RequestReplay {
  private entries: Entry[] = [];
  /** Index of the next entry to hand to the live attempt. */
  private next = 0;
  private writing = false;
  private halfClosed = false;
  private halfCloseSent = false;
  private bytes = 0;
  private keep = true;
  private call: InterceptingCallInterface | undefined;
  /** Tells a completed write of an earlier attempt from one of the live attempt. */
  private generation = 0;

  constructor(
    private readonly maxBytes: number,
    private readonly size: (message: unknown) => number,
  ) {}

  /** The caller wrote a message. Returns false when the messages no longer fit the buffer. */
  write(context: MessageContext, message: unknown): boolean {
    let fits = true;
    if (this.keep) {
      this.bytes += this.size(message);
      fits = this.bytes <= this.maxBytes;
    }
    this.entries.push({ message, flags: context.flags, context });
    this.pump();
    return fits;
  }

  halfClose(): void {
    this.halfClosed = true;
    this.pump();
  }

  /** A new attempt: send it everything from the first message. */
  attach(call: InterceptingCallInterface): void {
    this.call = call;
    this.generation++;
    this.next = 0;
    this.writing = false;
    this.halfCloseSent = false;
    this.pump();
  }

  /** The attempt ended; writes wait for the next one. */
  detach(): void {
    this.call = undefined;
  }

  /** No replay any more: drop what the live attempt already has. */
  commit(): void {
    this.keep = false;
    this.trim();
  }

  /** The call ended: complete every write still waiting so the writer is not left hanging. */
  release(): void {
    const entries = this.entries;
    this.entries = [];
    this.call = undefined;
    for (const entry of entries) {
      const context = entry.context;
      entry.context = undefined;
      context?.callback?.();
    }
  }

  private pump(): void {
    const call = this.call;
    if (call === undefined) return;
    if (!this.writing && this.next < this.entries.length) {
      const entry = this.entries[this.next++];
      this.writing = true;
      const generation = this.generation;
      call.sendMessageWithContext(
        { flags: entry.flags, callback: () => this.written(entry, generation) },
        entry.message,
      );
    }
    // Like grpc-js, half-close as soon as the last message has been handed over.
    if (this.halfClosed && !this.halfCloseSent && this.next === this.entries.length) {
      this.halfCloseSent = true;
      call.halfClose();
    }
  }

  private written(entry: Entry, generation: number): void {
    const context = entry.context;
    entry.context = undefined;
    context?.callback?.();
    if (generation !== this.generation) return;
    this.writing = false;
    if (!this.keep) this.trim();
    this.pump();
  }

  private trim(): void {
    if (this.next === 0) return;
    this.entries.splice(0, this.next);
    this.next = 0;
  }
}
