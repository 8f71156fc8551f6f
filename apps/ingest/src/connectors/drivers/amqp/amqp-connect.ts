import { connect, type ChannelModel } from 'amqplib';
import type { ConnectorContext } from '../../connector.driver';
import type { SecretField } from '../../connector.secret-field';
import { connectOptions } from './amqp.config';

/**
 * Opens a connection to a tenant's broker through the outbound guard: the host is checked
 * first (an IP literal is never looked up), and every address a name resolves to is checked
 * again when the socket connects, so a name cannot rebind to an internal address between the
 * two. Internal addresses are refused unless OUTBOUND_ALLOWED_CIDRS allows them.
 */
export async function connectGuarded(
  ctx: ConnectorContext<{
    url: string;
    username: string;
    password: SecretField;
    vhost: string;
    heartbeatSeconds: number;
  }>,
): Promise<ChannelModel> {
  const options = connectOptions(ctx.config, ctx.secret(ctx.config.password));
  await ctx.outbound.assertHost(options.hostname);
  return connect(options, { timeout: 10_000, lookup: ctx.outbound.lookup });
}
