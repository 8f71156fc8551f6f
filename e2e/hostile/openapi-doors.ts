/**
 * The HTTP doors of an app, read from its live OpenAPI document, and for each a request a
 * client could send: path and required query parameters filled, a JSON body built from the
 * schema. The hostile cases are this request with one part replaced.
 */
export interface JsonSchema {
  $ref?: string;
  type?: string | string[];
  format?: string;
  enum?: unknown[];
  example?: unknown;
  examples?: unknown[];
  default?: unknown;
  minimum?: number;
  maximum?: number;
  minLength?: number;
  maxLength?: number;
  minItems?: number;
  maxItems?: number;
  items?: JsonSchema;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  oneOf?: JsonSchema[];
  anyOf?: JsonSchema[];
  allOf?: JsonSchema[];
}

export interface Parameter {
  name: string;
  in: 'path' | 'query' | 'header' | 'cookie';
  required?: boolean;
  schema?: JsonSchema;
  example?: unknown;
}

interface Operation {
  parameters?: Parameter[];
  requestBody?: { content?: Record<string, { schema?: JsonSchema }> };
}

export interface OpenApiDocument {
  paths: Record<string, Record<string, Operation>>;
  components?: { schemas?: Record<string, JsonSchema> };
}

export interface HttpDoor {
  app: string;
  method: string;
  template: string;
  parameters: Parameter[];
  /** The first documented body type, if any. */
  bodyType?: string;
  bodySchema?: JsonSchema;
  document: OpenApiDocument;
}

const METHODS = ['get', 'post', 'put', 'patch', 'delete'];

export async function readHttpDoors(app: string, baseUrl: string): Promise<HttpDoor[]> {
  const response = await fetch(`${baseUrl}/docs/openapi.json`);
  if (response.status !== 200) throw new Error(`${app} serves no OpenAPI document`);
  const document = (await response.json()) as OpenApiDocument;
  const doors: HttpDoor[] = [];
  for (const [template, operations] of Object.entries(document.paths)) {
    for (const [method, operation] of Object.entries(operations)) {
      if (!METHODS.includes(method)) continue;
      const content = operation.requestBody?.content ?? {};
      const bodyType = Object.keys(content)[0];
      doors.push({
        app,
        method: method.toUpperCase(),
        template,
        parameters: operation.parameters ?? [],
        bodyType,
        bodySchema: bodyType ? content[bodyType]?.schema : undefined,
        document,
      });
    }
  }
  return doors;
}

export function resolveSchema(
  schema: JsonSchema | undefined,
  document: OpenApiDocument,
): JsonSchema {
  let current = schema ?? {};
  for (let hops = 0; current.$ref && hops < 20; hops++) {
    const name = current.$ref.split('/').pop() ?? '';
    current = document.components?.schemas?.[name] ?? {};
  }
  return current;
}

/** A value the schema accepts, as a well-behaved client would send it. */
export function exampleOf(
  schema: JsonSchema | undefined,
  document: OpenApiDocument,
  depth = 0,
): unknown {
  const s = resolveSchema(schema, document);
  if (s.example !== undefined) return s.example;
  if (s.examples?.length) return s.examples[0];
  if (s.default !== undefined) return s.default;
  if (s.enum?.length) return s.enum[0];
  const variant = s.oneOf?.[0] ?? s.anyOf?.[0];
  if (variant) return exampleOf(variant, document, depth + 1);
  if (s.allOf?.length) {
    return Object.assign(
      {},
      ...s.allOf.map((part) => {
        const value = exampleOf(part, document, depth + 1);
        return typeof value === 'object' && value !== null ? value : {};
      }),
    );
  }
  const type = Array.isArray(s.type) ? s.type.find((one) => one !== 'null') : s.type;
  switch (type ?? 'object') {
    case 'string':
      if (s.format === 'date-time') return '2026-11-24T10:00:00Z';
      if (s.format === 'uri' || s.format === 'url') return 'https://example.com/hostile';
      return 'hostile'.padEnd(s.minLength ?? 1, 'x').slice(0, s.maxLength ?? 64);
    case 'integer':
    case 'number':
      return s.minimum ?? 1;
    case 'boolean':
      return true;
    case 'array':
      return depth > 4
        ? []
        : Array.from({ length: Math.max(1, s.minItems ?? 1) }, () =>
            exampleOf(s.items, document, depth + 1),
          );
    case 'object':
    default: {
      if (!s.properties || depth > 4) return type === 'object' ? {} : 'hostile';
      const object: Record<string, unknown> = {};
      const names = s.required?.length ? s.required : Object.keys(s.properties);
      for (const name of names) object[name] = exampleOf(s.properties[name], document, depth + 1);
      return object;
    }
  }
}

/** The leaves of a JSON value, as paths of keys, with the schema that describes each. */
export function leavesOf(
  value: unknown,
  schema: JsonSchema | undefined,
  document: OpenApiDocument,
  path: (string | number)[] = [],
): { path: (string | number)[]; schema: JsonSchema }[] {
  const s = resolveSchema(schema, document);
  if (Array.isArray(value) && value.length > 0)
    return leavesOf(value[0], s.items, document, [...path, 0]);
  if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
    const entries = Object.entries(value);
    if (entries.length === 0) return [{ path, schema: s }];
    return entries.flatMap(([key, inner]) =>
      leavesOf(inner, s.properties?.[key], document, [...path, key]),
    );
  }
  return [{ path, schema: s }];
}

/**
 * The JSON text of `value` with the leaf at `path` replaced by raw JSON text, so numbers
 * JSON.stringify cannot write (1e309, -0, 2^63) reach the server as written here.
 */
export function withRawLeaf(value: unknown, path: (string | number)[], raw: string): string {
  const marker = `__hostile_raw_${Math.random().toString(36).slice(2)}__`;
  if (path.length === 0) return raw;
  const copy = structuredClone(value) as Record<string | number, unknown>;
  let cursor = copy;
  for (const key of path.slice(0, -1)) cursor = cursor[key] as Record<string | number, unknown>;
  cursor[path[path.length - 1]!] = marker;
  return JSON.stringify(copy).replace(JSON.stringify(marker), raw);
}
