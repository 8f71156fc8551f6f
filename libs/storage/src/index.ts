export { StorageModule } from './storage.module';
export { S3Readiness, S3Storage, createS3Client, type S3Options } from './s3.client';
