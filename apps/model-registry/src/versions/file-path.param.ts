import { createParamDecorator, type ExecutionContext } from '@nestjs/common';

/**
 * The path of a file inside a version: the rest of the URL after files/ (slashes included).
 * Read from Fastify's wildcard directly so OpenAPI documents it as {path}, not as "*".
 */
export const FilePath = createParamDecorator((_: unknown, context: ExecutionContext): string => {
  const request = context.switchToHttp().getRequest<{ params: Record<string, string> }>();
  return request.params['*'] ?? '';
});

export const FILE_PATH_PARAM = {
  name: 'path',
  description: 'Path of the file inside the version (saved_model/variables/variables.data)',
};
