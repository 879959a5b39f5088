import { randomUUID } from 'node:crypto';

/**
 * What the baseline and the event store write: the same rows, built the same way, so the
 * only difference between the figures is the store itself.
 */
export interface BenchEvent {
  id: string;
  type: string;
  data: Record<string, unknown>;
  metadata: Record<string, unknown>;
}

const TYPES = [
  'OrderPlaced',
  'StockReserved',
  'PaymentAuthorized',
  'OrderConfirmed',
  'OrderShipped',
] as const;

/** An order-like event: about 200 bytes of data and 150 of metadata as JSON. */
export function benchEvent(streamName: string, revision: number): BenchEvent {
  const orderId = streamName.slice(streamName.indexOf('-') + 1);
  return {
    id: randomUUID(),
    type: TYPES[revision % TYPES.length]!,
    data: {
      orderId,
      customerId: 'c-7f3a9b21',
      lines: [{ sku: 'SKU-004211', qty: 2, unitPriceMinor: 1299 }],
      totalMinor: 2598 + revision,
      currency: 'EUR',
      at: '2024-05-01T12:00:00.000Z',
    },
    metadata: {
      correlationId: randomUUID(),
      causationId: randomUUID(),
      userId: 'u-3c1d5e7f',
      source: 'bench',
    },
  };
}

/**
 * One writer's streams, as a command handler sees them: a new stream (`no_stream`), then
 * appends expecting the exact revision the writer knows, then the next new stream.
 */
export class StreamCursor {
  private stream = '';
  private nextRevision = 0;

  constructor(
    /** Appends to a stream before the writer moves on to a new one. */
    private readonly appendsPerStream: number,
    private readonly eventsPerAppend: number,
  ) {
    this.rotate();
  }

  /** The next append: its stream, its events and the revision it expects (-1: no stream). */
  next(): { stream: string; expected: number; events: BenchEvent[] } {
    if (this.nextRevision >= this.appendsPerStream * this.eventsPerAppend) this.rotate();
    const expected = this.nextRevision - 1;
    const events = Array.from({ length: this.eventsPerAppend }, (_, i) =>
      benchEvent(this.stream, this.nextRevision + i),
    );
    return { stream: this.stream, expected, events };
  }

  /** Records that the append returned by `next()` was written. */
  committed(): void {
    this.nextRevision += this.eventsPerAppend;
  }

  private rotate(): void {
    this.stream = `order-${randomUUID()}`;
    this.nextRevision = 0;
  }
}
