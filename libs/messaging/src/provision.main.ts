/**
 * The operator's NATS provisioning step as a command:
 *   node libs/messaging/dist/provision.main.js
 * Run by `scripts/services.sh up|provision` and as the nats-provision job of docker-compose
 * and Helm, with the operator login. Prints the streams that exist afterwards.
 */
import { connect } from '@nats-io/transport-node';
import { ConfigError, loadConfig } from '@iotwins/config';
import { provisionNats } from './provision';
import { provisionEnvSchema, provisionOptions } from './provision.env';

async function main(): Promise<void> {
  const config = loadConfig(provisionEnvSchema);
  const nc = await connect({
    servers: config.NATS_URL,
    user: config.NATS_OPERATOR_USER,
    pass: config.NATS_OPERATOR_PASSWORD,
    name: 'nats-provision',
  });
  try {
    const streams = await provisionNats(nc, provisionOptions(config));
    process.stdout.write(`NATS provisioned; streams: ${streams.join(', ')}\n`);
  } finally {
    await nc.close();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(
    `${error instanceof ConfigError ? error.message : ((error as Error).stack ?? String(error))}\n`,
  );
  process.exit(1);
});
