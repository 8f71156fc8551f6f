export { ServiceCoreModule, type ServiceCoreOptions } from './service-core.module';
export { createServiceApp, type ServiceOptions } from './service.bootstrap';
export { runService } from './service.main';
