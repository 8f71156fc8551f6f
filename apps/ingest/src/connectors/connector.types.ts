import type { ConnectorDriver } from './connector.driver';
import { amqpSinkDriver } from './drivers/amqp/amqp-sink.driver';
import { amqpSourceDriver } from './drivers/amqp/amqp-source.driver';
import { fileImportDriver } from './drivers/file-import/file-import.driver';
import { httpPollerDriver } from './drivers/http-poller/http-poller.driver';
import { mqttSinkDriver } from './drivers/mqtt-sink/mqtt-sink.driver';
import { mqttSourceDriver } from './drivers/mqtt-source/mqtt-source.driver';
import { objectBatchSinkDriver } from './drivers/object-batch-sink/object-batch-sink.driver';
import { opcuaSourceDriver } from './drivers/opcua-source/opcua-source.driver';
import { parquetExportDriver } from './drivers/parquet-export/parquet-export.driver';
import { webhookSinkDriver } from './drivers/webhook-sink/webhook-sink.driver';

/**
 * Every connector type the platform runs. A new type is a driver (connector.driver.ts) in
 * drivers/<type>/ and one line here; the API, the runner and the docs take it from this list.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- each driver has its own config type
export const CONNECTOR_DRIVERS: readonly ConnectorDriver<any>[] = [
  httpPollerDriver,
  webhookSinkDriver,
  opcuaSourceDriver,
  mqttSourceDriver,
  mqttSinkDriver,
  amqpSourceDriver,
  amqpSinkDriver,
  fileImportDriver,
  objectBatchSinkDriver,
  parquetExportDriver,
];

export function connectorDriver(type: string): ConnectorDriver | undefined {
  return CONNECTOR_DRIVERS.find((driver) => driver.type === type);
}

export const connectorTypes = (): string[] => CONNECTOR_DRIVERS.map((driver) => driver.type);
