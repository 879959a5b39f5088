import { bodyParser } from '@koa/bodyparser';
import type Koa from 'koa';
import { HttpProblem } from './problem';

/** The largest request body accepted; a larger one is a 413 before it is read in full. */
export const BODY_LIMIT_BYTES = 1024 * 1024;

const JSON_TYPES = ['application/json', 'application/*+json'];
const FORM_TYPE = 'application/x-www-form-urlencoded';
const BODY_METHODS = new Set(['POST', 'PUT', 'PATCH']);

/**
 * Parses JSON and urlencoded form bodies (login takes a form) into `ctx.request.body`, and
 * turns every way a body can be unacceptable into a problem that says which, never how the
 * parser failed: another content type → 415, over {@link BODY_LIMIT_BYTES} → 413, malformed
 * → 400. A request without a body passes through with `ctx.request.body` left as the parser
 * leaves it (`{}` for POST/PUT/PATCH, `undefined` otherwise).
 */
export function bodyParsing(): Koa.Middleware {
  const parse = bodyParser({
    enableTypes: ['json', 'form'],
    extendTypes: { json: JSON_TYPES },
    jsonLimit: BODY_LIMIT_BYTES,
    formLimit: BODY_LIMIT_BYTES,
    encoding: 'utf-8',
  });
  return async (ctx, next) => {
    if (BODY_METHODS.has(ctx.method)) {
      const type = ctx.request.is([...JSON_TYPES, FORM_TYPE]);
      if (type === false && hasContent(ctx)) {
        throw new HttpProblem(415, {
          code: 'unsupported_media_type',
          detail: 'Send the body as application/json (or a form where the endpoint takes one)',
          headers: { 'Accept-Post': 'application/json, application/x-www-form-urlencoded' },
        });
      }
      try {
        await parse(ctx, () => Promise.resolve());
      } catch (error) {
        throw bodyProblem(error, type === FORM_TYPE ? 'form' : 'JSON');
      }
    }
    await next();
  };
}

/**
 * Whether the request carries body bytes. Not `type-is`'s `hasBody`: that counts an explicit
 * `Content-Length: 0` as a body, and an empty POST needs no content type.
 */
function hasContent(ctx: Koa.Context): boolean {
  const length = ctx.get('Content-Length');
  return ctx.get('Transfer-Encoding') !== '' || (length !== '' && Number(length) !== 0);
}

/** The parser's error (raw-body, co-body) as a problem that reveals nothing of the parser. */
function bodyProblem(error: unknown, kind: 'JSON' | 'form'): Error {
  const { status, type } = error as { status?: unknown; type?: unknown };
  if (status === 413) {
    return new HttpProblem(413, {
      code: 'body_too_large',
      detail: `The request body is larger than ${BODY_LIMIT_BYTES} bytes (1 MiB)`,
    });
  }
  if (status === 415) {
    return new HttpProblem(415, {
      code: 'unsupported_encoding',
      detail: 'The body must be UTF-8, uncompressed or gzip/deflate encoded',
    });
  }
  if (type === 'request.aborted' || type === 'request.size.invalid') {
    return new HttpProblem(400, {
      code: 'body_incomplete',
      detail: 'The request body ended before its declared length',
    });
  }
  if (typeof status === 'number' && status >= 400 && status < 500) {
    return new HttpProblem(400, {
      code: 'malformed_body',
      detail:
        kind === 'JSON'
          ? 'The request body is malformed JSON (expected an object or an array)'
          : 'The request body is a malformed form',
    });
  }
  return error instanceof Error ? error : new Error('Reading the request body failed');
}
