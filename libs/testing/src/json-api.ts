/** An answer of a JSON API: its status and body, parsed when it is JSON, else the text. */
// Bodies of many shapes, each checked by the expectations that read it.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type ApiAnswer = { status: number; body: any };

/** One call of an app's REST API with a bearer token, as a client would make it. */
export async function callJsonApi(
  baseUrl: string,
  token: string,
  method: string,
  path: string,
  body?: unknown,
): Promise<ApiAnswer> {
  const response = await fetch(`${baseUrl}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${token}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  let parsed: unknown = text === '' ? undefined : text;
  try {
    if (text !== '') parsed = JSON.parse(text);
  } catch {
    // not JSON: the text as it came
  }
  return { status: response.status, body: parsed };
}

/** The id of a connector a call created, if it did (for the specs' clean-up lists). */
export function createdConnectorId(method: string, path: string, answer: ApiAnswer) {
  return method === 'POST' && path.split('?')[0] === '/v1/connectors' && answer.status === 201
    ? (answer.body as { id: string }).id
    : undefined;
}
