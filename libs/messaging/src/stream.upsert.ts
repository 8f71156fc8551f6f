import type { JetStreamManager, StreamConfig } from '@nats-io/jetstream';

/** Creates a stream, or brings an existing one to `config` when `update` is set. */
export async function upsertStream(
  jsm: JetStreamManager,
  name: string,
  config: Partial<StreamConfig>,
  update: boolean,
): Promise<void> {
  try {
    await jsm.streams.info(name);
    if (update) await jsm.streams.update(name, config);
  } catch (error) {
    if (!/not found/i.test((error as Error).message ?? '')) throw error;
    try {
      await jsm.streams.add({ ...config, name });
    } catch (addError) {
      // Another replica created it between our look-up and our add.
      if (!/already in use|already exists/i.test((addError as Error).message)) throw addError;
    }
  }
}
