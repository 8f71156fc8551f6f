import { applyLocalEnv } from './local-env';

applyLocalEnv();
