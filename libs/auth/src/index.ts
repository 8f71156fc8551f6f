export { AuthModule } from './auth.module';
export { AuthGuard } from './auth.guard';
export {
  AcceptClientSecret,
  ActingTenant,
  CALLER_KEY,
  CurrentCaller,
  Public,
  RequireRoles,
} from './auth.decorators';
export {
  ClientSecretExchange,
  ClientSecretRejectedError,
  clientCredentialsFrom,
} from './client-secret.exchange';
export {
  PLATFORM_ADMIN_ROLE,
  Role,
  hasRole,
  isPlatformAdmin,
  mayActOnTenant,
  type Caller,
} from './caller';
export { assertTenantAccess } from './tenant-access';
export {
  InvalidTokenError,
  IssuerUnavailableError,
  TokenVerifier,
  type TokenVerifierOptions,
} from './token-verifier';
export { CallerDto } from './caller.controller';
export {
  influxReaderCredentials,
  tenantReaderCredentials,
  type InfluxReaderCredentials,
  type ReaderStore,
  type TenantReaderCredentials,
} from './tenant-reader.credentials';
