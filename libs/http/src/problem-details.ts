import { HttpException } from '@nestjs/common';

/** RFC 9457 problem details, with the extension members this platform uses. */
export interface ProblemDetails {
  type: string;
  title: string;
  status: number;
  detail?: string;
  instance?: string;
  /** Correlates the answer with the server's log line. */
  requestId?: string;
  /** Every rejected item of a request: a field, a batch index or a line number. */
  errors?: ProblemItem[];
  [extension: string]: unknown;
}

export interface ProblemItem {
  /** JSON pointer, query parameter or header name the error is about. */
  pointer?: string;
  index?: number;
  line?: number;
  detail: string;
}

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

/** Stable, machine-readable problem types; renaming one breaks clients that branch on it. */
export const problemType = (slug: string): string => `urn:iotwins:problem:${slug}`;

const TITLES: Record<number, [slug: string, title: string]> = {
  400: ['bad-request', 'Bad request'],
  401: ['unauthorized', 'Authentication required'],
  403: ['forbidden', 'Forbidden'],
  404: ['not-found', 'Not found'],
  405: ['method-not-allowed', 'Method not allowed'],
  406: ['not-acceptable', 'Not acceptable'],
  409: ['conflict', 'Conflict'],
  412: ['precondition-failed', 'Precondition failed'],
  413: ['payload-too-large', 'Payload too large'],
  415: ['unsupported-media-type', 'Unsupported media type'],
  416: ['range-not-satisfiable', 'Range not satisfiable'],
  422: ['unprocessable-content', 'Unprocessable content'],
  429: ['too-many-requests', 'Too many requests'],
  500: ['internal-error', 'Internal server error'],
  502: ['bad-gateway', 'Bad gateway'],
  503: ['service-unavailable', 'Service unavailable'],
  504: ['gateway-timeout', 'Gateway timeout'],
};

/** The default type and title of a status code, for errors raised without a specific type. */
export function defaultProblem(status: number): Pick<ProblemDetails, 'type' | 'title' | 'status'> {
  const [slug, title] = TITLES[status] ?? (status >= 500 ? TITLES[500]! : TITLES[400]!);
  return { type: problemType(slug), title, status };
}

/**
 * An error that already knows its problem details (and, for 401 and 429/503, the headers
 * that must travel with it, such as WWW-Authenticate or Retry-After).
 */
export class ProblemException extends HttpException {
  constructor(
    readonly problem: ProblemDetails,
    readonly headers: Record<string, string> = {},
  ) {
    super(problem, problem.status);
  }

  static of(
    status: number,
    slug: string,
    detail: string,
    extras: Partial<ProblemDetails> = {},
    headers: Record<string, string> = {},
  ): ProblemException {
    const base = defaultProblem(status);
    return new ProblemException(
      { ...base, type: problemType(slug), detail, ...extras, status },
      headers,
    );
  }
}
