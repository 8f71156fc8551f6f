/** The S3 error code of a failed minio call (NoSuchKey, NoSuchBucket, ...), if it has one. */
export function s3ErrorCode(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' ? code : undefined;
}

export function isS3NotFound(error: unknown): boolean {
  const code = s3ErrorCode(error);
  return code === 'NoSuchKey' || code === 'NotFound' || code === 'NoSuchBucket';
}

/** Socket errors of a request to an S3 server that is down, restarting or unreachable. */
const UNREACHABLE = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
]);
/** S3 error codes of a server that cannot serve now (and says so). */
const UNAVAILABLE = new Set(['ServiceUnavailable', 'SlowDown', 'XMinioServerNotInitialized']);

/**
 * Whether a failed S3 call failed because the storage server is away (an outage, a restart),
 * rather than because of the request: the caller should be told 503 and to try again.
 */
export function isS3Unavailable(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const code = s3ErrorCode(error);
  if (code !== undefined && (UNREACHABLE.has(code) || UNAVAILABLE.has(code))) return true;
  const message = (error as { message?: unknown }).message;
  if (typeof message === 'string' && /socket hang up|other side closed/i.test(message)) return true;
  return isS3Unavailable((error as { cause?: unknown }).cause);
}
