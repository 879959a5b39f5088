import { randomUUID } from 'node:crypto';
import { type ExpectedRevision, InvalidEventStoreInputError, type NewEvent } from './event-store';

export const MAX_STREAM_NAME_LENGTH = 255;
export const MAX_EVENT_TYPE_LENGTH = 255;
export const MAX_EVENT_BYTES = 1024 * 1024;
export const MAX_EVENTS_PER_APPEND = 10_000;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
// jsonb refuses the NUL character and lone UTF-16 surrogates, which JSON.stringify writes as
// escapes (a paired surrogate is written as the character itself); find such an escape
// that is not itself escaped.
const JSON_UNSTORABLE = /(^|[^\\])(\\\\)*\\u(0000|d[89a-f][0-9a-f]{2})/i;

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** PostgreSQL text holds neither NUL nor a lone UTF-16 surrogate (it would be mangled). */
const storableText = (s: string) => !s.includes('\0') && !LONE_SURROGATE.test(s);

// Not a type guard on purpose: narrowing `readonly NewEvent[]` with Array.isArray gives `any[]`.
const isList = (value: unknown): boolean => Array.isArray(value);

/** An event ready to store: id fixed, data and metadata already serialised. */
export interface SerializedEvent {
  id: string;
  type: string;
  dataJson: string;
  metadataJson: string;
}

export function validateStreamName(stream: unknown): string {
  if (typeof stream !== 'string' || stream.length === 0) {
    throw new InvalidEventStoreInputError('stream', 'must be a non-empty string');
  }
  if (!storableText(stream)) {
    throw new InvalidEventStoreInputError('stream', 'must be well-formed Unicode without NUL');
  }
  if (stream.length > MAX_STREAM_NAME_LENGTH) {
    throw new InvalidEventStoreInputError(
      'stream',
      `must be at most ${MAX_STREAM_NAME_LENGTH} characters`,
    );
  }
  return stream;
}

export function validateExpectedRevision(expected: ExpectedRevision): string {
  if (expected === 'any' || expected === 'no_stream' || expected === 'stream_exists') {
    return expected;
  }
  if (typeof expected === 'bigint' && expected >= 0n) return expected.toString();
  throw new InvalidEventStoreInputError(
    'expectedRevision',
    "must be 'any', 'no_stream', 'stream_exists' or a revision >= 0n",
  );
}

/**
 * Checks and serialises an append's events. Throws InvalidEventStoreInputError naming the
 * first bad field, so a bad append writes nothing at all.
 */
export function serializeEvents(events: readonly NewEvent[]): SerializedEvent[] {
  if (!isList(events) || events.length === 0) {
    throw new InvalidEventStoreInputError('events', 'must be a non-empty list');
  }
  if (events.length > MAX_EVENTS_PER_APPEND) {
    throw new InvalidEventStoreInputError(
      'events',
      `at most ${MAX_EVENTS_PER_APPEND} events per append`,
    );
  }
  const ids = new Set<string>();
  return events.map((event, i) => {
    const field = `events[${i}]`;
    const id = event.id ?? randomUUID();
    if (typeof id !== 'string' || !UUID.test(id)) {
      throw new InvalidEventStoreInputError(`${field}.id`, 'must be a UUID');
    }
    const key = id.toLowerCase();
    if (ids.has(key)) throw new InvalidEventStoreInputError(`${field}.id`, 'appears twice');
    ids.add(key);
    if (typeof event.type !== 'string' || event.type.length === 0) {
      throw new InvalidEventStoreInputError(`${field}.type`, 'must be a non-empty string');
    }
    if (!storableText(event.type)) {
      throw new InvalidEventStoreInputError(
        `${field}.type`,
        'must be well-formed Unicode without NUL',
      );
    }
    if (event.type.length > MAX_EVENT_TYPE_LENGTH) {
      throw new InvalidEventStoreInputError(
        `${field}.type`,
        `must be at most ${MAX_EVENT_TYPE_LENGTH} characters`,
      );
    }
    const metadata = event.metadata ?? {};
    if (typeof metadata !== 'object' || metadata === null || Array.isArray(metadata)) {
      throw new InvalidEventStoreInputError(`${field}.metadata`, 'must be an object');
    }
    const dataJson = toJson(event.data, `${field}.data`);
    const metadataJson = toJson(metadata, `${field}.metadata`);
    if (Buffer.byteLength(dataJson) + Buffer.byteLength(metadataJson) > MAX_EVENT_BYTES) {
      throw new InvalidEventStoreInputError(field, 'is over 1 MiB once serialised');
    }
    return { id: key, type: event.type, dataJson, metadataJson };
  });
}

function toJson(value: unknown, field: string): string {
  let json: string | undefined;
  try {
    json = JSON.stringify(value);
  } catch (error) {
    // BigInt and circular structures land here.
    throw new InvalidEventStoreInputError(
      field,
      `is not JSON-serialisable (${(error as Error).message})`,
    );
  }
  if (json === undefined) throw new InvalidEventStoreInputError(field, 'is not JSON-serialisable');
  // Only an escape can be unstorable; most payloads have none and skip the pattern.
  if (json.includes('\\u') && JSON_UNSTORABLE.test(json)) {
    throw new InvalidEventStoreInputError(
      field,
      'contains a NUL character or a lone UTF-16 surrogate, which JSON storage cannot hold',
    );
  }
  return json;
}

/** The JSON array `es_append` takes, built from already serialised parts. */
export function appendPayload(events: readonly SerializedEvent[]): string {
  return `[${events
    .map(
      (e) =>
        `{"id":"${e.id}","type":${JSON.stringify(e.type)},"data":${e.dataJson},"metadata":${e.metadataJson}}`,
    )
    .join(',')}]`;
}
