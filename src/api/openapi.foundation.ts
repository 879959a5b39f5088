/**
 * The OpenAPI pieces the foundation owns: its endpoints, the problem schemas, the shared
 * error responses, and small helpers modules use to write their fragments.
 */

/** `{ $ref: '#/components/schemas/Product' }` */
export const schemaRef = (name: string) => ({ $ref: `#/components/schemas/${name}` });

/** A JSON request body with the given schema. */
export const jsonBody = (schema: unknown, required = true) => ({
  required,
  content: { 'application/json': { schema } },
});

/** A JSON response with the given schema. */
export const jsonResponse = (description: string, schema: unknown) => ({
  description,
  content: { 'application/json': { schema } },
});

const responseNames: Record<number, string> = {
  400: 'BadRequest',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'NotFound',
  409: 'Conflict',
  412: 'PreconditionFailed',
  413: 'PayloadTooLarge',
  415: 'UnsupportedMediaType',
  429: 'TooManyRequests',
  500: 'InternalError',
  503: 'ServiceUnavailable',
};

/**
 * The shared problem responses by status, for an operation's `responses`:
 * `{ ...problemResponses(400, 401, 404) }`.
 */
export function problemResponses(...statuses: number[]): Record<string, { $ref: string }> {
  return Object.fromEntries(
    statuses.map((status) => {
      const name = responseNames[status];
      if (!name) throw new Error(`OpenAPI: no shared response for status ${status}`);
      return [String(status), { $ref: `#/components/responses/${name}` }];
    }),
  );
}

const problemContent = (schema: string) => ({
  'application/problem+json': { schema: schemaRef(schema) },
});

export const foundationResponses: Record<string, unknown> = {
  BadRequest: {
    description: 'Invalid input: malformed JSON, or fields that fail validation (each named)',
    content: problemContent('ValidationProblem'),
  },
  Unauthorized: { description: 'No valid access token', content: problemContent('Problem') },
  Forbidden: { description: 'Not allowed for this caller', content: problemContent('Problem') },
  NotFound: {
    description: 'No such resource (also for a malformed id in the path)',
    content: problemContent('Problem'),
  },
  Conflict: {
    description: 'Refused by the current state; `code` says why',
    content: problemContent('Problem'),
  },
  PreconditionFailed: {
    description: 'The resource changed since the If-Match version',
    content: problemContent('Problem'),
  },
  PayloadTooLarge: { description: 'Body over 1 MiB', content: problemContent('Problem') },
  UnsupportedMediaType: {
    description: 'Body of a content type this endpoint does not take',
    content: problemContent('Problem'),
  },
  TooManyRequests: {
    description: 'Rate limited; see Retry-After',
    content: problemContent('Problem'),
  },
  InternalError: { description: 'An unexpected fault', content: problemContent('Problem') },
  ServiceUnavailable: { description: 'Not ready', content: problemContent('Problem') },
};

export const foundationSchemas: Record<string, unknown> = {
  Problem: {
    type: 'object',
    description: 'RFC 7807 problem details',
    required: ['type', 'title', 'status'],
    properties: {
      type: { type: 'string' },
      title: { type: 'string' },
      status: { type: 'integer' },
      detail: { type: 'string' },
      code: { type: 'string', description: 'Stable machine-readable reason' },
    },
  },
  ValidationProblem: {
    allOf: [
      schemaRef('Problem'),
      {
        type: 'object',
        properties: {
          errors: {
            type: 'array',
            items: {
              type: 'object',
              required: ['field', 'message'],
              properties: {
                field: { type: 'string', examples: ['body.items[0].quantity'] },
                message: { type: 'string' },
              },
            },
          },
        },
      },
    ],
  },
  ReadyReport: {
    type: 'object',
    required: ['status', 'checks'],
    properties: {
      status: { enum: ['ready', 'not_ready'] },
      checks: {
        type: 'object',
        properties: Object.fromEntries(
          ['database', 'migrations', 'consumers'].map((check) => [
            check,
            { enum: ['ok', 'unavailable', 'pending', 'stuck', 'timeout'] },
          ]),
        ),
      },
      stuck_consumers: {
        type: 'array',
        items: {
          type: 'object',
          properties: { name: { type: 'string' }, state: { type: 'string' } },
        },
      },
    },
  },
};

const meta = 'meta';

const health = {
  get: {
    tags: [meta],
    summary: 'Liveness: the process is up',
    responses: {
      200: jsonResponse('Alive', {
        type: 'object',
        properties: { status: { const: 'ok' } },
      }),
    },
  },
};

const ready = {
  get: {
    tags: [meta],
    summary: 'Readiness: database reachable, migrations applied, no consumer stuck',
    responses: {
      200: jsonResponse('Ready', schemaRef('ReadyReport')),
      503: jsonResponse('Not ready; the failing checks are named', schemaRef('ReadyReport')),
    },
  },
};

const openapi = {
  get: {
    tags: [meta],
    summary: 'This OpenAPI 3.1 document',
    responses: { 200: jsonResponse('The document', { type: 'object' }) },
  },
};

/** The foundation's own endpoints, at the root and (health, ready, openapi) under `base`. */
export function foundationPaths(base: string): Record<string, Record<string, unknown>> {
  return {
    '/health': health,
    '/ready': ready,
    '/openapi.json': openapi,
    [`${base}/health`]: health,
    [`${base}/ready`]: ready,
    [`${base}/openapi.json`]: openapi,
    '/metrics': {
      get: {
        tags: [meta],
        summary: 'Prometheus metrics',
        responses: {
          200: {
            description: 'Text exposition format',
            content: { 'text/plain': { schema: { type: 'string' } } },
          },
        },
      },
    },
    '/docs': {
      get: {
        tags: [meta],
        summary: 'Interactive API documentation (Swagger UI)',
        responses: {
          200: {
            description: 'HTML page',
            content: { 'text/html': { schema: { type: 'string' } } },
          },
        },
      },
    },
    '/docs/assets/{file}': {
      get: {
        tags: [meta],
        summary: 'Static files of the documentation page',
        parameters: [{ name: 'file', in: 'path', required: true, schema: { type: 'string' } }],
        responses: {
          200: { description: 'The file' },
          ...problemResponses(404),
        },
      },
    },
  };
}
