import { connect } from '@nats-io/transport-node';
import { jetstreamManager } from '@nats-io/jetstream';
import { requireEnv } from './keycloak-tokens';
import { waitFor } from './service-app';

/**
 * Waits until a sink connector's durable consumer exists (its first run makes it). TELEMETRY
 * keeps a message only until every consumer that exists when it arrives has acknowledged it
 * (interest retention), so a spec writes what a sink must deliver only after this.
 */
export async function waitForSinkConsumer(
  connectorId: string,
  stream: 'TELEMETRY' | 'EVENTS' = 'TELEMETRY',
  timeoutMs = 30_000,
): Promise<void> {
  const nc = await connect({
    servers: requireEnv('NATS_URL'),
    user: 'dev',
    pass: requireEnv('NATS_DEV_PASSWORD'),
  });
  try {
    const jsm = await jetstreamManager(nc);
    await waitFor(
      `the durable of sink ${connectorId}`,
      () =>
        jsm.consumers.info(stream, `connector-${connectorId}`).then(
          () => true,
          () => false,
        ),
      { timeoutMs },
    );
  } finally {
    await nc.close();
  }
}
