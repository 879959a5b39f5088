import { jsonBody, jsonResponse, problemResponses, schemaRef } from '../api/openapi';
import type { RouteModule } from '../api/route-module';

const nonEmpty = (maxLength: number) => ({ type: 'string', minLength: 1, maxLength });
const timestamp = { type: 'string', format: 'date-time' };
const bearer = [{ bearerAuth: [] }];

export const identitySchemas: Record<string, unknown> = {
  RegisterRequest: {
    type: 'object',
    required: ['email', 'password', 'first_name', 'last_name'],
    properties: {
      email: { type: 'string', format: 'email', maxLength: 254 },
      password: {
        type: 'string',
        minLength: 8,
        maxLength: 128,
        writeOnly: true,
      },
      first_name: nonEmpty(100),
      last_name: nonEmpty(100),
      phone: { type: ['string', 'null'], examples: ['+1 555 0100'] },
    },
    description: 'Unknown fields (a `role`, say) are ignored: every new account is a customer.',
  },
  LoginRequest: {
    type: 'object',
    required: ['email', 'password'],
    properties: { email: { type: 'string' }, password: { type: 'string', writeOnly: true } },
  },
  LoginForm: {
    type: 'object',
    description: 'OAuth2 password-grant style: `username` is the email.',
    required: ['username', 'password'],
    properties: { username: { type: 'string' }, password: { type: 'string', writeOnly: true } },
  },
  RefreshRequest: {
    type: 'object',
    required: ['refresh_token'],
    properties: { refresh_token: { type: 'string' } },
  },
  TokenPair: {
    type: 'object',
    required: ['access_token', 'refresh_token', 'token_type', 'expires_in'],
    properties: {
      access_token: { type: 'string', description: 'JWT (HS256), valid 15 minutes' },
      refresh_token: {
        type: 'string',
        description: 'JWT, valid 7 days, single use: each refresh returns a new one',
      },
      token_type: { const: 'bearer' },
      expires_in: { type: 'integer', description: 'Seconds the access token lives' },
    },
  },
  User: {
    type: 'object',
    required: ['id', 'email', 'first_name', 'last_name', 'phone', 'role', 'created_at'],
    properties: {
      id: { type: 'string', format: 'uuid' },
      email: { type: 'string', format: 'email' },
      first_name: { type: 'string' },
      last_name: { type: 'string' },
      phone: { type: ['string', 'null'] },
      role: { enum: ['customer', 'admin'] },
      created_at: timestamp,
    },
  },
  UserProfile: {
    allOf: [
      schemaRef('User'),
      {
        type: 'object',
        required: ['addresses'],
        properties: { addresses: { type: 'array', items: schemaRef('Address') } },
      },
    ],
  },
  AddressRequest: {
    type: 'object',
    required: ['line1', 'city', 'state', 'postal_code', 'country'],
    properties: {
      line1: nonEmpty(200),
      line2: { type: ['string', 'null'], maxLength: 200 },
      city: nonEmpty(100),
      state: nonEmpty(100),
      postal_code: nonEmpty(20),
      country: nonEmpty(100),
      is_default: {
        type: 'boolean',
        default: false,
        description: 'Makes this the default address; the previous default stops being one',
      },
    },
  },
  Address: {
    type: 'object',
    required: [
      'id',
      'line1',
      'line2',
      'city',
      'state',
      'postal_code',
      'country',
      'is_default',
      'created_at',
    ],
    properties: {
      id: { type: 'string', format: 'uuid' },
      line1: { type: 'string' },
      line2: { type: ['string', 'null'] },
      city: { type: 'string' },
      state: { type: 'string' },
      postal_code: { type: 'string' },
      country: { type: 'string' },
      is_default: { type: 'boolean' },
      created_at: timestamp,
    },
  },
};

const tokens = jsonResponse('New tokens', schemaRef('TokenPair'));

export const identityPaths: RouteModule['openapi'] = {
  '/auth/register': {
    post: {
      summary: 'Create a customer account',
      requestBody: jsonBody(schemaRef('RegisterRequest')),
      responses: {
        201: jsonResponse('The new user', schemaRef('User')),
        ...problemResponses(400, 409, 413, 415),
      },
    },
  },
  '/auth/login': {
    post: {
      summary: 'Exchange email and password for tokens',
      description:
        'JSON `{email, password}` or a form `username` + `password`. Failed attempts are ' +
        'limited per account (5) and per client address (20) in 15 minutes; past that, 429 ' +
        'with Retry-After. Unknown email and wrong password get the same 401.',
      requestBody: {
        required: true,
        content: {
          'application/json': { schema: schemaRef('LoginRequest') },
          'application/x-www-form-urlencoded': { schema: schemaRef('LoginForm') },
        },
      },
      responses: {
        200: tokens,
        ...problemResponses(400, 401, 413, 415, 429),
      },
    },
  },
  '/auth/refresh': {
    post: {
      summary: 'Exchange a refresh token for new tokens (rotation)',
      description:
        'Each refresh token works once. Presenting one that was already used revokes every ' +
        'token of its login session (401): it has leaked or been replayed.',
      requestBody: jsonBody(schemaRef('RefreshRequest')),
      responses: { 200: tokens, ...problemResponses(400, 401, 413, 415) },
    },
  },
  '/users/me': {
    get: {
      summary: 'The caller’s profile with their addresses',
      security: bearer,
      responses: {
        200: jsonResponse('The profile', schemaRef('UserProfile')),
        ...problemResponses(401),
      },
    },
  },
  '/users/me/addresses': {
    post: {
      summary: 'Add an address to the caller’s profile',
      security: bearer,
      requestBody: jsonBody(schemaRef('AddressRequest')),
      responses: {
        201: jsonResponse('The new address', schemaRef('Address')),
        ...problemResponses(400, 401, 413, 415),
      },
    },
  },
};
