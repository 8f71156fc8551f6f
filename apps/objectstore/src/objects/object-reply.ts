import type { FastifyReply } from 'fastify';
import { inertContentHeaders } from '@iotwins/storage';
import { returnedHeaders } from './object-headers';
import type { ObjectRead } from './objects.service';

/**
 * Sends an S3 answer on: status, the headers a client may see, and the body as a stream, made
 * inert (nosniff, a sandboxing CSP, an attachment unless the bucket serves inline content)
 * whatever type the tenant stored: these routes share the API's origin.
 */
export function sendObject(
  reply: FastifyReply,
  read: ObjectRead,
  method: 'GET' | 'HEAD',
): FastifyReply {
  const stored = returnedHeaders(read.headers);
  void reply.status(read.status).headers({
    ...stored,
    ...inertContentHeaders({
      filename: read.key,
      inline: read.inline,
      storedDisposition: stored['content-disposition'],
    }),
  });
  if (method === 'HEAD' || read.status === 304) {
    read.body.resume();
    return reply.send();
  }
  return reply.send(read.body);
}
