export { StorageModule } from './storage.module';
export { S3Readiness, S3Storage, createS3Client, type S3Options } from './s3.client';
export {
  ObjectTooLargeError,
  uploadStream,
  type StreamUploadOptions,
  type StreamUploadResult,
} from './multipart.upload';
export { isS3NotFound, isS3Unavailable, s3ErrorCode } from './s3.errors';
export { objectSessionPolicy, type PresignMethod } from './object-session.policy';
export {
  ScopedCredentialsUnavailableError,
  ScopedUrlSigner,
  type ScopedUrlSignerOptions,
} from './scoped-url.signer';
export { physicalBucketName, tenantBucketPrefix } from './tenant-bucket';
export {
  createScopedS3,
  prefixSessionPolicy,
  type PrefixAccess,
  type ScopedS3,
} from './scoped-client';
export {
  INERT_CONTENT_SECURITY_POLICY,
  INLINE_CONTENT_SECURITY_POLICY,
  attachmentDisposition,
  inertContentHeaders,
  inertPresignParams,
  type InertContentOptions,
} from './inert-content';
