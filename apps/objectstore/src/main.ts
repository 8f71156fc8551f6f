import 'reflect-metadata';
import { runService } from '@iotwins/service';
import { loadObjectstoreConfig } from './app.config';
import { APP_NAME, ObjectstoreModule } from './app.module';

void runService(loadObjectstoreConfig, (config) => ObjectstoreModule.forRoot(config), {
  appName: APP_NAME,
  description: 'Buckets, objects, ACLs and presigned bulk transfer over S3 (MinIO).',
});
