import { Transport, type MicroserviceOptions } from '@nestjs/microservices';
import { MODEL_REGISTRY_QUEUE, serviceInboxPrefix } from '@iotwins/messaging';
import type { ModelRegistryConfig } from '../app.config';

/**
 * The NATS transport of the request-reply handlers: the app's own NATS login, and one queue
 * group so each request is answered by exactly one replica.
 */
export function registryRpcTransport(config: ModelRegistryConfig): MicroserviceOptions {
  return {
    transport: Transport.NATS,
    options: {
      servers: [config.NATS_URL],
      user: config.NATS_USER,
      pass: config.NATS_PASSWORD,
      name: 'model-registry-rpc',
      // Replies come back on the login's own inbox prefix, the only one its permissions allow.
      inboxPrefix: serviceInboxPrefix(config.NATS_USER),
      queue: MODEL_REGISTRY_QUEUE,
      maxReconnectAttempts: -1,
      reconnectTimeWait: 1_000,
    },
  };
}
