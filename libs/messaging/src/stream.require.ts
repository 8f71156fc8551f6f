import type { JetStreamManager } from '@nats-io/jetstream';

/**
 * Services never create streams (their logins may not): the operator's provisioning step
 * does (provisionNats, `scripts/services.sh provision`, the compose/Helm job). A service
 * checks at start that the streams it uses exist and fails with what to do otherwise.
 */
export async function requireStreams(
  jsm: JetStreamManager,
  ...names: readonly string[]
): Promise<void> {
  for (const name of names) {
    try {
      await jsm.streams.info(name);
    } catch (error) {
      if (!/not found/i.test((error as Error).message ?? '')) throw error;
      throw new Error(
        `JetStream stream ${name} does not exist: run the NATS provisioning step ` +
          '(bash scripts/services.sh provision, or the nats-provision job) first',
      );
    }
  }
}
