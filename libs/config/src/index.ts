export { ConfigError, loadConfig, type EnvSchema } from './config.loader';
export { env, baseEnvSchema, type BaseEnv } from './env.schemas';
export { APP_CONFIG, AppConfigModule } from './config.module';
export { undocumentedVariables } from './config.docs';
export { z } from 'zod';
