export { LoggingModule, type LoggingOptions } from './logging/logging.module';
export { REQUEST_ID_HEADER, requestIdFrom } from './logging/request-id';
export { MetricsModule } from './metrics/metrics.module';
export { MetricsRegistry } from './metrics/metrics.registry';
export { HealthModule, type HealthOptions } from './health/health.module';
export { type ReadinessCheck, probeWithTimeout } from './health/readiness-check';
export { IS_PUBLIC_ROUTE, PUBLIC_ROUTE } from './public-route';
export { MASK, SECRET_HEADERS, redactHeaders, redactUrl } from './logging/secret-redaction';
