import { ProblemException } from '@iotwins/http';
import { ScopedCredentialsUnavailableError, isS3Unavailable } from '@iotwins/storage';

/** Driver errors of a MongoDB-wire server that is down or unreachable (not of the request). */
const MONGO_OUTAGES = new Set([
  'MongoNetworkError',
  'MongoNetworkTimeoutError',
  'MongoServerSelectionError',
  'MongoTopologyClosedError',
  'MongoNotConnectedError',
]);

/** Which backing server an error says is away, or undefined when the error is of the request. */
export function backingOutage(error: unknown): 'mongodb' | 's3' | 'nats' | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  if (MONGO_OUTAGES.has((error as { name?: unknown }).name as string)) return 'mongodb';
  if (error instanceof ScopedCredentialsUnavailableError || isS3Unavailable(error)) return 's3';
  const code = (error as { code?: unknown }).code;
  // nats.js: the connection is closed or draining, or JetStream did not answer the publish.
  if (code === 'CONNECTION_CLOSED' || code === 'CONNECTION_DRAINING' || code === 'TIMEOUT')
    return 'nats';
  if (/no responders|TimeoutError|connection closed/i.test(String((error as Error).message)))
    return 'nats';
  return undefined;
}

/** The 503 a caller gets while a backing server is away: retry later. */
export function outageProblem(server: string): ProblemException {
  return ProblemException.of(
    503,
    'backing-service-unavailable',
    `The registry's ${server} is not reachable right now; nothing was changed by a refused write, retry later`,
    { server },
    { 'Retry-After': '5' },
  );
}
