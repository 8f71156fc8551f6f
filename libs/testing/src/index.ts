export { applyLocalEnv, readLocalEnv, repoRoot } from './local-env';
export {
  clientToken,
  decodePayload,
  masterRealmAdminToken,
  requireEnv,
  tokens,
  userToken,
} from './keycloak-tokens';
export { appEnv, startServiceApp, waitFor, type RunningApp } from './service-app';
export { describeServiceContract } from './service-contract';
export { uniqueName } from './unique-name';
export { describeConfigContract } from './config-contract';
export { freePort, startAppProcess, type AppProcess } from './app-process';
export {
  describeReadinessFollowsDependencies,
  services,
  type Dependency,
} from './readiness-contract';
export {
  dashboardQueries,
  expandGrafanaSql,
  readGrafanaDashboards,
  type DashboardQuery,
  type GrafanaDashboard,
  type GrafanaPanel,
} from './grafana-dashboards';
export { callJsonApi, createdConnectorId, type ApiAnswer } from './json-api';
export { waitForSinkConsumer } from './sink-consumer';
