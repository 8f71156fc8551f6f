import type { Socket } from 'node:net';
import { Logger } from '@nestjs/common';
import mqttPacket, { type IConnectPacket, type IPublishPacket, type Packet } from 'mqtt-packet';
import {
  ClientSecretRejectedError,
  InvalidTokenError,
  Role,
  hasRole,
  mayActOnTenant,
  type Caller,
} from '@iotwins/auth';
import { IngestService } from '../telemetry/ingest.service';
import { parseMqttPayload } from '../mqtt/mqtt-payload';
import { parseTelemetryTopic } from '../mqtt/mqtt-topic';
import { Reason, reasonOfProblem, reasonString } from './mqtt-reason';
import { PacketSizeGuard } from './packet-size.guard';

/** How long a device may go on sending after a DISCONNECT before its socket is destroyed. */
const DISCONNECT_GRACE_MS = 1_000;
/** Packets read ahead of the one being stored; past that the socket is paused. */
const MAX_QUEUED_PACKETS = 32;

/** What a connection needs from the app: the ingest use case and the identity check. */
export interface MqttConnectionDeps {
  ingest: IngestService;
  /** The caller a Keycloak client id and secret stand for (as Basic credentials on /write). */
  authenticate: (clientId: string, secret: string) => Promise<Caller>;
  topicPrefix: string;
  /** Largest packet read (MQTT_SERVER_MAX_PACKET_BYTES); larger ones end the connection. */
  maxPacketBytes: number;
  /** Refused lines a PUBACK reason string names at most. */
  maxListedErrors: number;
  count: (outcome: string) => void;
}

/**
 * One device connection to the ingest MQTT endpoint: CONNECT with a Keycloak client id and
 * secret, then PUBLISH (QoS 0, 1 or 2) on the tenant's telemetry topics. The PUBACK (QoS 1)
 * or PUBREC (QoS 2) is written only after the ingest service has the message in JetStream;
 * its MQTT 5 reason code says why a payload was refused. A QoS 2 message sent again before
 * its PUBREL is stored once. Sessions end with the connection (Session Present is always 0):
 * what a device resends after a reconnect is a new message (docs/telemetry.md). Packets are
 * read one at a time, in order, so the acknowledgements go out in the order the messages
 * came (MQTT 5.0 §4.6).
 */
export class MqttConnection {
  private readonly logger = new Logger(MqttConnection.name);
  private readonly parser = mqttPacket.parser();
  private readonly guard: PacketSizeGuard;
  private queued = 0;
  /** QoS 2 messages stored and acknowledged (PUBREC) whose PUBREL has not come yet. */
  private readonly awaitingRelease = new Set<number>();
  private caller: Caller | undefined;
  private protocolVersion: 3 | 4 | 5 = 4;
  private queue: Promise<void> = Promise.resolve();
  private keepAliveTimer: NodeJS.Timeout | undefined;
  private keepAliveMs = 0;
  private closed = false;

  constructor(
    private readonly socket: Socket,
    private readonly deps: MqttConnectionDeps,
  ) {
    this.guard = new PacketSizeGuard(deps.maxPacketBytes);
    this.parser.on('packet', (packet: Packet) => {
      // A device that sends faster than ingest stores waits on TCP, not in ingest's memory.
      if (++this.queued >= MAX_QUEUED_PACKETS) this.socket.pause();
      this.queue = this.queue
        .then(() => this.handle(packet))
        .catch((error: unknown) => {
          this.logger.warn({ err: (error as Error).message }, 'MQTT connection failed');
          this.close();
        })
        .finally(() => {
          if (--this.queued < MAX_QUEUED_PACKETS / 2 && !this.closed) this.socket.resume();
        });
    });
    this.parser.on('error', (error: Error) => {
      this.deps.count('malformed-packet');
      this.logger.warn({ err: error.message }, 'malformed MQTT packet; closing');
      this.close();
    });
    socket.on('data', (chunk: Buffer) => {
      if (this.closed) return;
      this.touch();
      const tooLarge = this.guard.check(chunk);
      if (tooLarge !== undefined) {
        this.deps.count('packet-too-large');
        this.logger.warn(
          { size: tooLarge, max: this.deps.maxPacketBytes },
          'MQTT packet larger than the limit; disconnecting',
        );
        // Packets before it in this chunk are dropped too: the connection ends here (§4.13).
        this.disconnect(Reason.packetTooLarge);
        return;
      }
      this.parser.parse(chunk);
    });
    socket.on('error', () => this.close());
    socket.on('close', () => this.close());
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.keepAliveTimer) clearTimeout(this.keepAliveTimer);
    this.socket.destroy();
  }

  private async handle(packet: Packet): Promise<void> {
    if (this.closed) return;
    if (packet.cmd !== 'connect' && !this.caller) {
      // Anything before a successful CONNECT is a protocol error (MQTT 5.0 §3.1).
      this.close();
      return;
    }
    switch (packet.cmd) {
      case 'connect':
        return this.connect(packet);
      case 'publish':
        return this.publish(packet);
      case 'pingreq':
        return this.send({ cmd: 'pingresp' });
      case 'pubrel': {
        const known = this.awaitingRelease.delete(packet.messageId!);
        return this.send({
          cmd: 'pubcomp',
          messageId: packet.messageId,
          reasonCode: known ? Reason.success : Reason.packetIdentifierNotFound,
        });
      }
      case 'subscribe':
        // An ingest endpoint, not a broker: there is nothing to subscribe to.
        return this.send({
          cmd: 'suback',
          messageId: packet.messageId,
          granted: packet.subscriptions.map(() =>
            this.protocolVersion === 5 ? Reason.notAuthorized : 0x80,
          ),
        });
      case 'disconnect':
        this.close();
        return;
      // What a client never sends to a server: a protocol error, so the connection ends
      // (MQTT 5.0 §4.13).
      case 'auth':
      case 'connack':
      case 'pingresp':
      case 'puback':
      case 'pubcomp':
      case 'pubrec':
      case 'suback':
      case 'unsuback':
      case 'unsubscribe':
        this.close();
    }
  }

  private async connect(packet: IConnectPacket): Promise<void> {
    if (this.caller) {
      this.close(); // a second CONNECT is a protocol error
      return;
    }
    this.protocolVersion = packet.protocolVersion === 5 ? 5 : packet.protocolVersion === 3 ? 3 : 4;
    const refuse = (v5: number, v4: number): void => {
      this.deps.count('connect-refused');
      this.send({ cmd: 'connack', sessionPresent: false, reasonCode: v5, returnCode: v4 });
      this.close();
    };
    const secret = packet.password?.toString('utf8');
    if (!packet.username || !secret) return refuse(Reason.badCredentials, 4);
    let caller: Caller;
    try {
      caller = await this.deps.authenticate(packet.username, secret);
    } catch (error) {
      if (error instanceof ClientSecretRejectedError || error instanceof InvalidTokenError)
        return refuse(Reason.badCredentials, 4);
      this.logger.warn({ err: (error as Error).message }, 'MQTT client not authenticated');
      return refuse(Reason.serverUnavailable, 3);
    }
    if (!hasRole(caller, Role.TelemetryWrite)) return refuse(Reason.notAuthorized, 5);
    this.caller = caller;
    this.keepAliveMs = (packet.keepalive ?? 0) * 1500;
    this.touch();
    this.send({
      cmd: 'connack',
      sessionPresent: false,
      reasonCode: Reason.success,
      returnCode: 0,
      properties:
        this.protocolVersion === 5
          ? {
              // No maximumQoS: QoS 2 is offered (MQTT 5.0 §3.2.2.3.4).
              retainAvailable: false,
              wildcardSubscriptionAvailable: false,
              sharedSubscriptionAvailable: false,
              maximumPacketSize: this.deps.maxPacketBytes,
            }
          : undefined,
    });
  }

  private async publish(packet: IPublishPacket): Promise<void> {
    if (packet.retain) {
      this.deps.count('retain-refused');
      this.disconnect(Reason.retainNotSupported);
      return;
    }
    const messageId = packet.messageId!;
    if (packet.qos === 2 && this.awaitingRelease.has(messageId)) {
      // Sent again before its PUBREL (MQTT 5.0 §4.3.3): stored once, acknowledged again.
      this.deps.count('qos2-duplicate');
      this.send({ cmd: 'pubrec', messageId, reasonCode: Reason.success });
      return;
    }
    const { code, detail } = await this.store(packet);
    this.deps.count(outcomeOf(code));
    if (packet.qos === 0) return;
    if (this.protocolVersion !== 5 && code === Reason.unspecified) {
      // MQTT 3.1.1 has no way to say "not stored": no PUBACK, and the device sends it again.
      this.close();
      return;
    }
    // QoS 2: PUBREC once stored; the id stays known until PUBREL, so a resend is not stored
    // twice. A refusal (reason 0x80 and up) ends the exchange (MQTT 5.0 §4.3.3).
    if (packet.qos === 2 && (code < Reason.unspecified || this.protocolVersion !== 5))
      this.awaitingRelease.add(messageId);
    this.send({
      cmd: packet.qos === 2 ? 'pubrec' : 'puback',
      messageId,
      reasonCode: code,
      properties:
        this.protocolVersion === 5 && detail ? { reasonString: reasonString(detail) } : undefined,
    });
  }

  /** Stores a PUBLISH through the ingest service; the reason code and why, for the PUBACK. */
  private async store(packet: IPublishPacket): Promise<{ code: number; detail?: string }> {
    const topic = parseTelemetryTopic(this.deps.topicPrefix, packet.topic);
    if (!topic)
      return {
        code: Reason.topicNameInvalid,
        detail: 'topic is not <prefix>/<tenant>/telemetry[/<measurement>]',
      };
    if (!mayActOnTenant(this.caller!, topic.tenant))
      return {
        code: Reason.notAuthorized,
        detail: `this client may not write for tenant "${topic.tenant}"`,
      };
    const payload = Buffer.isBuffer(packet.payload) ? packet.payload : Buffer.from(packet.payload);
    try {
      const context = this.deps.ingest.tenantContext(topic.tenant, undefined);
      const { receivedAt, limits } = context;
      const { batch, errors, errorCount } = await this.deps.ingest.withFieldTypes(
        topic.tenant,
        (fieldTypes) =>
          parseMqttPayload(
            payload,
            topic,
            receivedAt,
            limits,
            fieldTypes,
            this.deps.maxListedErrors,
          ),
      );
      this.deps.ingest.refused(context, 'invalid-mqtt-payload', errorCount);
      const refused =
        errors.join('; ') +
        (errorCount > errors.length ? `; ${errorCount - errors.length} more` : '');
      if (batch.size === 0)
        return {
          code: Reason.payloadFormatInvalid,
          detail: refused || 'the payload holds no points',
        };
      await this.deps.ingest.write(context, batch, 'mqtt');
      // Line protocol keeps its good lines, as over HTTP; the reason string names the others.
      return {
        code: Reason.success,
        detail: errorCount > 0 ? `stored ${batch.size}; refused ${refused}` : undefined,
      };
    } catch (error) {
      const code = reasonOfProblem(error);
      if (code === Reason.unspecified)
        this.logger.warn(
          { tenant: topic.tenant, err: (error as Error).message },
          'MQTT message not stored',
        );
      return {
        code,
        detail: (error as { problem?: { detail?: string } }).problem?.detail ?? 'not stored; retry',
      };
    }
  }

  private disconnect(reasonCode: number): void {
    if (this.protocolVersion !== 5) return this.close();
    this.send({ cmd: 'disconnect', reasonCode });
    // Closed at once, a socket the device is still writing to is reset, and the device may
    // never read the DISCONNECT: what it still sends is read and dropped (the data handler
    // ignores a closed connection) for a short while, then the socket is destroyed.
    this.closed = true;
    if (this.keepAliveTimer) clearTimeout(this.keepAliveTimer);
    this.socket.end();
    this.socket.resume();
    setTimeout(() => this.socket.destroy(), DISCONNECT_GRACE_MS).unref();
  }

  private send(packet: Packet): void {
    if (this.closed) return;
    this.socket.write(mqttPacket.generate(packet, { protocolVersion: this.protocolVersion }));
  }

  /** Closes a connection silent for 1.5 keep-alive periods (MQTT 5.0 §3.1.2.10). */
  private touch(): void {
    if (this.keepAliveMs === 0 || this.closed) return;
    if (this.keepAliveTimer) clearTimeout(this.keepAliveTimer);
    this.keepAliveTimer = setTimeout(() => this.close(), this.keepAliveMs);
    this.keepAliveTimer.unref();
  }
}

function outcomeOf(code: number): string {
  switch (code) {
    case Reason.success:
      return 'stored';
    case Reason.payloadFormatInvalid:
      return 'invalid';
    case Reason.topicNameInvalid:
      return 'bad-topic';
    case Reason.notAuthorized:
      return 'not-authorized';
    case Reason.quotaExceeded:
      return 'rate-limited';
    default:
      return 'not-stored';
  }
}
