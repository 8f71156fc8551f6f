import type { FastifyReply } from 'fastify';
import { returnedHeaders } from './object-headers';
import type { ObjectRead } from './objects.service';

/** Sends an S3 answer on: status, the headers a client may see, and the body as a stream. */
export function sendObject(
  reply: FastifyReply,
  read: ObjectRead,
  method: 'GET' | 'HEAD',
): FastifyReply {
  void reply.status(read.status).headers(returnedHeaders(read.headers));
  if (method === 'HEAD' || read.status === 304) {
    read.body.resume();
    return reply.send();
  }
  return reply.send(read.body);
}
