import type { IncomingHttpHeaders } from 'node:http';
import type { Readable } from 'node:stream';
import { Busboy, type BusboyFileStream } from '@fastify/busboy';
import { ProblemException } from '@iotwins/http';

export type FormPart =
  | { kind: 'field'; name: string; value: string; truncated: boolean }
  | { kind: 'file'; name: string; filename: string; mimeType: string; stream: BusboyFileStream };

export interface MultipartLimits {
  files: number;
  /** Bytes of a non-file field (the metadata JSON). */
  fieldSize: number;
}

/**
 * The parts of a multipart/form-data body, one at a time and in order, as they arrive. A file
 * part must be read to its end (or destroyed) before the next part comes: busboy holds the
 * rest of the body back until then, so no more than one part is ever in memory.
 */
export async function* readFormParts(
  headers: IncomingHttpHeaders,
  body: Readable,
  limits: MultipartLimits,
): AsyncGenerator<FormPart> {
  const type = String(headers['content-type'] ?? '');
  if (!/^multipart\/form-data\s*;/i.test(type)) {
    throw ProblemException.of(
      415,
      'unsupported-media-type',
      'A version is uploaded as multipart/form-data: a "metadata" field (JSON) first, then one or more "file" parts',
    );
  }
  const queue: FormPart[] = [];
  let finished = false;
  let failure: unknown;
  let wake: (() => void) | undefined;
  // The file being read: a body that breaks off must end it too, or its reader would wait.
  let current: BusboyFileStream | undefined;
  const notify = (): void => {
    wake?.();
    wake = undefined;
  };
  const parser = Busboy({
    headers: headers as IncomingHttpHeaders & { 'content-type': string },
    preservePath: true,
    limits: {
      files: limits.files,
      fieldSize: limits.fieldSize,
      fields: 10,
      parts: limits.files + 10,
    },
  });
  parser.on('file', (name, stream, filename, _encoding, mimeType) => {
    queue.push({ kind: 'file', name, filename, mimeType, stream });
    notify();
  });
  parser.on('field', (name, value, _nameTruncated, truncated) => {
    queue.push({ kind: 'field', name, value, truncated });
    notify();
  });
  parser.on('filesLimit', () => {
    failure ??= ProblemException.of(
      413,
      'too-many-files',
      `A version holds at most ${limits.files} files`,
    );
    notify();
  });
  parser.on('finish', () => {
    finished = true;
    notify();
  });
  parser.on('error', (error: unknown) => {
    failure ??= ProblemException.of(
      400,
      'invalid-multipart',
      `The multipart body is malformed: ${(error as Error).message}`,
    );
    notify();
  });
  const breakOff = (error: Error): void => {
    failure ??= error;
    current?.destroy(error);
    notify();
  };
  body.on('error', breakOff);
  body.on('aborted', () => breakOff(new Error('the client went away during the upload')));
  // 'close' also follows a body read to its end; only an incomplete one was cut off.
  body.on('close', () => {
    if ((body as Readable & { complete?: boolean }).complete === false)
      breakOff(new Error('the client went away during the upload'));
  });
  body.pipe(parser);
  try {
    for (;;) {
      if (failure !== undefined) throw failure;
      const part = queue.shift();
      if (part) {
        current = part.kind === 'file' ? part.stream : undefined;
        yield part;
        continue;
      }
      if (finished) return;
      await new Promise<void>((resolve) => (wake = resolve));
    }
  } finally {
    body.unpipe(parser);
    for (const part of queue) if (part.kind === 'file') part.stream.resume();
  }
}
