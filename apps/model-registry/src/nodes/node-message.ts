import secureJson from 'secure-json-parse';
import { MAX_JSON_DEPTH, jsonDeeperThan } from '@iotwins/http';
import { parseNodeSubject, type NodeHeartbeat, type NodeStatus } from '@iotwins/messaging';
import { nodeHeartbeatSchema, nodeStatusSchema } from './nodes.dto';

/**
 * A heartbeat or status is a few hundred bytes; 64 KiB leaves room for a large runtime map.
 * Anything bigger is refused before it is decoded, so a tenant's 1 MB message costs nothing.
 */
export const MAX_NODE_MESSAGE_BYTES = 64 * 1024;

const utf8 = new TextDecoder('utf-8', { fatal: true });

export type NodeMessage =
  | { ok: true; tenant: string; node: string; kind: 'heartbeat'; body: NodeHeartbeat }
  | { ok: true; tenant: string; node: string; kind: 'status'; body: NodeStatus }
  | { ok: false; reason: string };

/**
 * Reads a message a node (a tenant's device) published on nodes.<tenant>.<node>.<kind>: its
 * subject, size, encoding, JSON, nesting and fields, and the text the store would refuse. It
 * never throws: a message that is not one the registry can apply says why, and is dropped.
 */
export function readNodeMessage(subject: string, data: Uint8Array): NodeMessage {
  const where = parseNodeSubject(subject);
  if (!where) return { ok: false, reason: 'not a nodes.<tenant>.<node>.<kind> subject' };
  if (data.length > MAX_NODE_MESSAGE_BYTES)
    return { ok: false, reason: `${data.length} bytes; at most ${MAX_NODE_MESSAGE_BYTES}` };
  let text: string;
  try {
    text = utf8.decode(data);
  } catch {
    return { ok: false, reason: 'the body is not valid UTF-8' };
  }
  if (jsonDeeperThan(text, MAX_JSON_DEPTH))
    return { ok: false, reason: `the body nests deeper than ${MAX_JSON_DEPTH}` };
  let json: unknown;
  try {
    // An empty heartbeat is a heartbeat with no news.
    json = text.trim() === '' && where.kind === 'heartbeat' ? {} : secureJson.parse(text);
  } catch (error) {
    return { ok: false, reason: `the body is not JSON: ${(error as Error).message}` };
  }
  const parsed = (where.kind === 'heartbeat' ? nodeHeartbeatSchema : nodeStatusSchema).safeParse(
    json,
  );
  if (!parsed.success)
    return {
      ok: false,
      reason: parsed.error.issues
        .slice(0, 5)
        .map((issue) => `/${issue.path.join('/')} ${issue.message}`)
        .join('; '),
    };
  return { ok: true, ...where, body: parsed.data } as NodeMessage;
}
