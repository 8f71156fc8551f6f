import type { IClientOptions } from 'mqtt';
import { z } from 'zod';
import type { ConfigProblem, ConnectorContext } from '../../connector.driver';
import { secretField, type SecretField } from '../../connector.secret-field';

/**
 * How a connector reaches a testbed's own MQTT broker; shared by the MQTT source and sink.
 * The client id is fixed (a persistent session is bound to it): by default `iotwins-<id>`.
 */
export const mqttBrokerFields = {
  url: z
    .string()
    .max(1024)
    .regex(/^(mqtts?|wss?):\/\/[^\s/@]+(\/\S*)?$/, {
      message:
        'expected an mqtt://, mqtts://, ws:// or wss:// broker URL without credentials (they go in username and password)',
    }),
  clientId: z
    .string()
    .regex(/^[A-Za-z0-9_.:-]{1,128}$/, {
      message: 'expected 1 to 128 letters, digits, "_", ".", ":" or "-"',
    })
    .optional(),
  username: z.string().min(1).max(256).optional(),
  password: secretField.optional(),
  /** 5 (default) or 4 (MQTT 3.1.1) for older brokers. */
  protocolVersion: z.union([z.literal(4), z.literal(5)]).default(5),
  /** PEM of the CA that signed an mqtts broker's certificate, when not a public one. */
  ca: z.string().min(1).max(65_536).optional(),
};

export interface MqttBrokerConfig {
  url: string;
  clientId?: string | undefined;
  username?: string | undefined;
  password?: SecretField | undefined;
  protocolVersion: 4 | 5;
  ca?: string | undefined;
}

export const defaultClientId = (connectorId: string): string => `iotwins-${connectorId}`;

/** mqtt.js options for the broker of a connector; no automatic reconnect (the driver retries). */
export function mqttClientOptions(
  ctx: ConnectorContext<MqttBrokerConfig>,
  extra: IClientOptions,
): IClientOptions {
  const { config } = ctx;
  return {
    clientId: config.clientId ?? defaultClientId(ctx.id),
    username: config.username,
    password: config.password ? ctx.secret(config.password) : undefined,
    protocolVersion: config.protocolVersion,
    ...(config.ca ? { ca: config.ca } : {}),
    connectTimeout: 10_000,
    reconnectPeriod: 0,
    ...extra,
  };
}

/** A broker's refusal or a socket error in words a tenant can act on (never the password). */
export function describeMqttError(error: Error & { code?: unknown }): string {
  return typeof error.code === 'number'
    ? `${error.message} (reason code ${error.code})`
    : error.message;
}

/** Checks across the broker fields: a password goes with a username. */
export function mqttBrokerProblems(config: MqttBrokerConfig): ConfigProblem[] {
  return config.password && !config.username
    ? [{ pointer: '/config/username', detail: 'expected a username with the password' }]
    : [];
}
