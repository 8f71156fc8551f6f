import mqtt, { type MqttClient } from 'mqtt';
import { requireEnv, uniqueName } from '@iotwins/testing';
import { hostileJsonBodies, invalidUtf8Line, lineProtocolCorpus } from './hostile-corpus';
import type { AppFleet, HostileRun } from './hostile-run';
import type { SeededRandom } from './seeded-random';

const TENANT = 'tenant-a';
const PUBACK_TIMEOUT_MS = 15_000;

interface MqttCase {
  label: string;
  topic: string;
  payload: Buffer | string;
  always?: boolean;
  mustRefuse?: boolean;
}

export function mqttCases(): MqttCase[] {
  const measurement = uniqueName('hostile_mqtt');
  const topic = `iotwins/${TENANT}/telemetry/${measurement}`;
  const point = JSON.stringify({ fields: { v: 1 }, time: 1_795_514_400_000 });
  return [
    ...lineProtocolCorpus(measurement).map((line) => ({
      label: `line protocol: ${line.label}`,
      topic: `iotwins/${TENANT}/telemetry`,
      payload: line.value,
      always: true,
      mustRefuse: line.refused,
    })),
    {
      label: 'line protocol: invalid UTF-8 bytes',
      topic: `iotwins/${TENANT}/telemetry`,
      payload: invalidUtf8Line(measurement),
      always: true,
      mustRefuse: true,
    },
    // Past INGEST_MAX_BODY_BYTES (16 MiB): refused by the packet limit, not read whole (issue item 5).
    {
      label: 'PUBLISH of 17 MiB of "x\\n"',
      topic,
      payload: 'x\n'.repeat(17 * 512 * 1024),
      always: true,
      mustRefuse: true,
    },
    ...hostileJsonBodies.map((body) => ({
      label: `raw body: ${body.label}`,
      topic,
      payload: body.body,
    })),
    {
      label: 'topic with U+202E',
      topic: `iotwins/${TENANT}/telemetry/a\u202Eb`,
      payload: point,
      always: true,
    },
    {
      label: 'topic with controls',
      topic: `iotwins/${TENANT}/telemetry/a\u0001b`,
      payload: point,
      always: true,
    },
    {
      label: 'topic with a lone surrogate',
      topic: `iotwins/${TENANT}/telemetry/a\ud800b`,
      payload: point,
      always: true,
    },
    {
      label: 'topic of 300 characters',
      topic: `iotwins/${TENANT}/telemetry/${'t'.repeat(300)}`,
      payload: point,
      always: true,
    },
    {
      label: 'topic with ../',
      topic: `iotwins/${TENANT}/telemetry/../../tenant-b/telemetry/x`,
      payload: point,
      always: true,
    },
    {
      label: 'topic with an extra level',
      topic: `iotwins/${TENANT}/telemetry/a/b/c`,
      payload: point,
      always: true,
    },
    {
      label: 'topic with x%00y',
      topic: `iotwins/${TENANT}/telemetry/x%00y`,
      payload: point,
      always: true,
    },
    { label: 'empty payload', topic, payload: '', always: true },
  ];
}

/**
 * Publishes each case with QoS 1 on ingest's own MQTT endpoint as tenant-a's gateway and waits
 * for the PUBACK (or the endpoint's DISCONNECT): never silence, never a dead ingest.
 */
export async function attackMqttDoor(
  fleet: AppFleet,
  run: HostileRun,
  random: SeededRandom,
  perDoor: number,
): Promise<void> {
  const door = `mqtt ingest iotwins/${TENANT}/telemetry[/<measurement>]`;
  run.door(door);
  let client: MqttClient | undefined;
  for (const one of random.sample(mqttCases(), perDoor, (item) => item.always === true)) {
    const ingest = await fleet.available('ingest');
    if (!ingest) {
      run.record(door, one.label, fleet.downReason('ingest'));
      continue;
    }
    run.inFlight.set('ingest', `${door} | ${one.label}`);
    let answered = true;
    try {
      if (!client || !client.connected) {
        client?.end(true);
        client = await mqtt.connectAsync(`mqtt://127.0.0.1:${ingest.mqttPort}`, {
          username: `gateway-${TENANT}`,
          password: requireEnv('KEYCLOAK_GATEWAY_TENANT_A_SECRET'),
          protocolVersion: 5,
          reconnectPeriod: 0,
          connectTimeout: 10_000,
        });
      }
      const current = client;
      const answer = await new Promise<{ code: number; reason?: string }>((done, fail) => {
        const timer = setTimeout(
          () => fail(new Error(`no PUBACK within ${PUBACK_TIMEOUT_MS} ms`)),
          PUBACK_TIMEOUT_MS,
        );
        // A DISCONNECT from the endpoint (packet too large, bad topic) is an answer too.
        const closed = (): void => {
          clearTimeout(timer);
          done({ code: -1, reason: 'disconnected' });
        };
        current.once('close', closed);
        current
          .publishAsync(one.topic, one.payload, { qos: 1 })
          .then(
            () => done({ code: 0 }),
            (error: { code?: number; message: string }) =>
              done({ code: error.code ?? -2, reason: error.message }),
          )
          .finally(() => {
            clearTimeout(timer);
            current.off('close', closed);
          });
      });
      if (!fleet.running('ingest')) run.record(door, one.label, 'ingest exited');
      else if (answer.code === 0x80)
        run.record(door, one.label, `PUBACK 0x80 (not stored, a 5xx): ${answer.reason}`, true);
      else if (answer.code === 0 && one.mustRefuse)
        run.record(
          door,
          one.label,
          'PUBACK 0: acknowledged what InfluxDB or an ingest limit refuses',
        );
      else run.record(door, one.label);
    } catch (error) {
      answered = false;
      run.record(
        door,
        one.label,
        fleet.running('ingest') ? (error as Error).message : 'ingest exited',
      );
      client?.end(true);
      client = undefined;
    } finally {
      if (!answered) await fleet.unstall('ingest');
      run.inFlight.delete('ingest');
    }
  }
  await client?.endAsync(true).catch(() => undefined);
}
