import {
  Inject,
  Injectable,
  Logger,
  OnApplicationBootstrap,
  OnApplicationShutdown,
} from '@nestjs/common';
import { APP_CONFIG } from '@iotwins/config';
import type { ModelRegistryConfig } from '../app.config';
import { ArtifactsRepository, uploadPrefixOf } from './artifacts.repository';
import { VersionsRepository } from './versions.repository';

/**
 * Deletes artifacts no version points at: the files of an upload whose process died (or whose
 * clean-up failed) before the version document was written, and multipart uploads that were
 * never completed. Runs at start and then periodically; only what is older than the grace
 * period goes, so uploads still in flight on another replica are left alone.
 */
@Injectable()
export class OrphanSweeper implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(OrphanSweeper.name);
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;

  constructor(
    private readonly artifacts: ArtifactsRepository,
    private readonly versions: VersionsRepository,
    @Inject(APP_CONFIG) private readonly config: ModelRegistryConfig,
  ) {}

  onApplicationBootstrap(): void {
    const run = (): void => {
      this.running ??= this.sweep()
        .then((removed) => {
          if (removed > 0) this.logger.log({ removed }, 'orphan artifacts removed');
        })
        .catch((error: unknown) => this.logger.warn({ err: error }, 'orphan sweep failed'))
        .finally(() => (this.running = undefined));
    };
    run();
    this.timer = setInterval(run, this.config.MODEL_REGISTRY_ORPHAN_SWEEP_INTERVAL_S * 1000);
    this.timer.unref();
  }

  async onApplicationShutdown(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.running;
  }

  /** One pass; returns how many objects and incomplete uploads it removed. */
  async sweep(): Promise<number> {
    const cutoff = Date.now() - this.config.MODEL_REGISTRY_ORPHAN_GRACE_S * 1000;
    const newest = new Map<string, number>();
    const keys = new Map<string, string[]>();
    for await (const object of this.artifacts.list('tenants/')) {
      const prefix = uploadPrefixOf(object.key);
      if (!prefix) continue;
      newest.set(prefix, Math.max(newest.get(prefix) ?? 0, object.lastModified.getTime()));
      keys.set(prefix, [...(keys.get(prefix) ?? []), object.key]);
    }
    let removed = 0;
    for (const [prefix, time] of newest) {
      if (time > cutoff || (await this.versions.prefixInUse(prefix))) continue;
      const orphaned = keys.get(prefix) ?? [];
      await this.artifacts.remove(orphaned);
      removed += orphaned.length;
    }
    for await (const upload of this.artifacts.incompleteUploads('tenants/')) {
      if (upload.initiated.getTime() > cutoff) continue;
      await this.artifacts.abortIncomplete(upload.key);
      removed++;
    }
    return removed;
  }
}
