import { z } from 'zod';
import { secretField } from '../../connector.secret-field';
import { sinkSourceField } from '../../connector.sink';
import { httpUrl } from '../http-poller/http-poller.config';

export const webhookSinkConfigSchema = z
  .object({
    source: sinkSourceField,
    url: httpUrl,
    /** The HMAC-SHA256 key the receiver verifies `x-iotwins-signature` with. */
    secret: secretField,
    timeoutSeconds: z.number().int().min(1).max(60).default(10),
    /**
     * `line-protocol` posts telemetry as stored (text/plain, one line per point); `json` posts
     * `{ "messages": [{ subject, seq, data }] }`, data being the event or the lines.
     */
    format: z.enum(['json', 'line-protocol']).default('json'),
  })
  .strict();
export type WebhookSinkConfig = z.infer<typeof webhookSinkConfigSchema>;
