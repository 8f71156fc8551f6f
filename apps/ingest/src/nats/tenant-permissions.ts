import type { Permissions } from '@nats-io/jwt';
import { Role, hasRole, type Caller } from '@iotwins/auth';
import { tenantInboxPrefix, tenantStreamName } from '@iotwins/messaging';

/** How long a node may take to answer a command request (nodes.<tenant>.<node>.cmd). */
const COMMAND_REPLY_TTL_NS = 60 * 1_000_000_000;

/**
 * What a testbed client's NATS user may do: the subjects of its own tenant only, and of
 * those only what its Keycloak roles allow. Everything not listed is refused by the server;
 * in particular no other tenant's subjects, no stream administration, no $SYS and no
 * JetStream API beyond consumers of its own TENANT_<tenant> stream (see tenant.stream.ts for
 * why consumers live there and not on TELEMETRY or EVENTS).
 */
export function tenantPermissions(caller: Caller): Permissions {
  const tenant = caller.tenant;
  const stream = tenantStreamName(tenant);
  const publish: string[] = [];
  const subscribe: string[] = [`${tenantInboxPrefix(tenant)}.>`];
  if (hasRole(caller, Role.TelemetryWrite)) {
    publish.push(
      // Readings, answered by ingest once stored.
      `ingest.${tenant}.*`,
      // What edge nodes send to the ML services (OBSERVATIONS and NODES streams).
      `predictions.${tenant}.*`,
      `actuals.${tenant}.*`,
      `nodes.${tenant}.*.heartbeat`,
      `nodes.${tenant}.*.status`,
    );
    // Edge nodes take commands from the model registry and answer them (resp below).
    subscribe.push(`nodes.${tenant}.*.cmd`);
  }
  if (hasRole(caller, Role.TelemetryRead)) {
    // Live, read only.
    subscribe.push(`telemetry.${tenant}.>`, `events.${tenant}.>`);
    // Durable, replayable: consumers of the tenant's own stream, nothing else.
    publish.push(
      `$JS.API.STREAM.INFO.${stream}`,
      `$JS.API.STREAM.MSG.GET.${stream}`,
      `$JS.API.DIRECT.GET.${stream}`,
      `$JS.API.DIRECT.GET.${stream}.>`,
      `$JS.API.CONSUMER.CREATE.${stream}`,
      `$JS.API.CONSUMER.CREATE.${stream}.>`,
      `$JS.API.CONSUMER.DURABLE.CREATE.${stream}.*`,
      `$JS.API.CONSUMER.INFO.${stream}.*`,
      `$JS.API.CONSUMER.DELETE.${stream}.*`,
      `$JS.API.CONSUMER.NAMES.${stream}`,
      `$JS.API.CONSUMER.LIST.${stream}`,
      `$JS.API.CONSUMER.MSG.NEXT.${stream}.*`,
      `$JS.ACK.${stream}.>`,
      `$JS.FC.${stream}.>`,
    );
  }
  return {
    pub: { allow: publish },
    sub: { allow: subscribe },
    resp: { max: 1, ttl: COMMAND_REPLY_TTL_NS },
  };
}
