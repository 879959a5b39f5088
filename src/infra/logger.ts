import pino, { type DestinationStream, type Logger } from 'pino';
import type { LogLevel } from './config';

export type { Logger } from 'pino';

/**
 * Keys whose values never reach a log line, at any depth up to four levels
 * (`req.body.payment.card_number`). Later features (identity, payments) rely on this list:
 * add a key here rather than trusting every call site to strip it.
 */
const SECRET_KEYS = [
  'password',
  'authorization',
  'cookie',
  'card_number',
  'cvc',
  'token',
  'access_token',
  'refresh_token',
  'secret',
];

export const redactPaths: string[] = SECRET_KEYS.flatMap((key) => [
  key,
  `*.${key}`,
  `*.*.${key}`,
  `*.*.*.${key}`,
]);

export interface LoggerOptions {
  level: LogLevel;
  /** Where JSON lines go; stdout when omitted (tests pass a stream to read them back). */
  destination?: DestinationStream;
}

/** The process-wide pino logger: JSON lines, ISO time, secrets redacted. */
export function createLogger(options: LoggerOptions): Logger {
  return pino(
    {
      name: 'orderflow',
      level: options.level,
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: { paths: redactPaths, censor: '[redacted]' },
    },
    options.destination ?? pino.destination({ dest: 1, sync: true }),
  );
}
