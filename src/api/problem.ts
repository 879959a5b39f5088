import { STATUS_CODES } from 'node:http';

/** One bad input field: `body.items[0].quantity`, `query.limit`, `params.id`. */
export interface FieldError {
  field: string;
  message: string;
}

/** An RFC 7807 problem document, as every error response carries it. */
export interface Problem {
  type: string;
  title: string;
  status: number;
  detail?: string;
  /** A stable machine-readable code for domain refusals (`price_changed`, `sku_taken`). */
  code?: string;
  errors?: FieldError[];
  [extension: string]: unknown;
}

/**
 * An expected HTTP failure, thrown by routes and middleware and rendered once by the error
 * middleware. Its detail is meant for the client; never put internals in it.
 */
export class HttpProblem extends Error {
  override readonly name = 'HttpProblem';
  constructor(
    readonly status: number,
    readonly options: {
      detail?: string;
      code?: string;
      errors?: FieldError[];
      headers?: Record<string, string>;
      extensions?: Record<string, unknown>;
    } = {},
  ) {
    super(options.detail ?? STATUS_CODES[status] ?? 'Error');
  }

  toProblem(): Problem {
    const { detail, code, errors, extensions } = this.options;
    return {
      ...extensions,
      type: code ? `https://orderflow.dev/problems/${code}` : 'about:blank',
      title: STATUS_CODES[this.status] ?? 'Error',
      status: this.status,
      ...(detail !== undefined && { detail }),
      ...(code !== undefined && { code }),
      ...(errors !== undefined && { errors }),
    };
  }
}

export const badRequest = (errors: FieldError[], detail = 'The request has invalid fields') =>
  new HttpProblem(400, { detail, errors });
export const unauthorized = (detail = 'Authentication required') =>
  new HttpProblem(401, { detail, headers: { 'WWW-Authenticate': 'Bearer' } });
export const forbidden = (detail = 'Not allowed') => new HttpProblem(403, { detail });
export const notFound = (detail = 'Not found') => new HttpProblem(404, { detail });
export const conflict = (code: string, detail: string, extensions?: Record<string, unknown>) =>
  new HttpProblem(409, { code, detail, ...(extensions && { extensions }) });
