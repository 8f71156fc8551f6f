// Writes values.schema.json of every chart under deploy/helm from one definition, so the five
// app charts and the umbrella refuse the same typos. Every object is closed
// (additionalProperties: false) or a map whose values are typed, so an unknown key fails at
// install time with a message naming it.
//   node scripts/helm-schema.js          writes the files
//   node scripts/helm-schema.js --check  exits 1 if a file differs from what it would write
const { readFileSync, writeFileSync } = require('node:fs');
const { resolve } = require('node:path');

const HELM = resolve(__dirname, '../deploy/helm');
const APPS = ['ingest', 'timeseries', 'objectstore', 'model-registry', 'retrainer'];

const closed = (properties, extra = {}) => ({
  type: 'object',
  additionalProperties: false,
  properties,
  ...extra,
});
const map = (values, extra = {}) => ({ type: 'object', additionalProperties: values, ...extra });
const array = (items, extra = {}) => ({ type: 'array', items, ...extra });
const string = (extra = {}) => ({ type: 'string', ...extra });
const integer = (minimum, maximum) => ({
  type: 'integer',
  ...(minimum !== undefined && { minimum }),
  ...(maximum !== undefined && { maximum }),
});
const boolean = { type: 'boolean' };
const port = integer(1, 65535);
const stringMap = map(string());
const url = (schemes) => string({ pattern: `^(${schemes.join('|')})://[^\\s]+$` });
const quantity = { type: ['string', 'number'], pattern: '^[0-9.]+(m|k|Ki|Mi|Gi|Ti|M|G|T)?$' };
const envName = '^[A-Z][A-Z0-9_]*$';
const secretName = string({ pattern: '^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$', maxLength: 253 });
const secretRef = closed(
  { name: secretName, key: string({ minLength: 1 }) },
  { required: ['name', 'key'] },
);
// A Secret the operator may leave out: name '' switches off what it is for.
const optionalSecretRef = closed({
  name: { anyOf: [secretName, { const: '' }] },
  key: string({ minLength: 1 }),
});

// Kubernetes structures the values pass through, closed as the API defines them.
const labelSelector = closed({
  matchLabels: stringMap,
  matchExpressions: array(
    closed(
      {
        key: string(),
        operator: { enum: ['In', 'NotIn', 'Exists', 'DoesNotExist'] },
        values: array(string()),
      },
      { required: ['key', 'operator'] },
    ),
  ),
});
const networkPolicyPeer = closed({
  podSelector: labelSelector,
  namespaceSelector: labelSelector,
  ipBlock: closed({ cidr: string(), except: array(string()) }, { required: ['cidr'] }),
});
const networkPolicyPort = closed({
  port: { type: ['integer', 'string'] },
  endPort: port,
  protocol: { enum: ['TCP', 'UDP', 'SCTP'] },
});
const egressRule = closed({ ports: array(networkPolicyPort), to: array(networkPolicyPeer) });
const nodeSelectorTerm = closed({
  matchExpressions: array(
    closed(
      {
        key: string(),
        operator: { enum: ['In', 'NotIn', 'Exists', 'DoesNotExist', 'Gt', 'Lt'] },
        values: array(string()),
      },
      { required: ['key', 'operator'] },
    ),
  ),
  matchFields: array(
    closed(
      { key: string(), operator: { enum: ['In', 'NotIn'] }, values: array(string()) },
      { required: ['key', 'operator'] },
    ),
  ),
});
const podAffinityTerm = closed(
  {
    labelSelector,
    namespaceSelector: labelSelector,
    namespaces: array(string()),
    topologyKey: string({ minLength: 1 }),
    matchLabelKeys: array(string()),
    mismatchLabelKeys: array(string()),
  },
  { required: ['topologyKey'] },
);
const podAffinity = closed({
  requiredDuringSchedulingIgnoredDuringExecution: array(podAffinityTerm),
  preferredDuringSchedulingIgnoredDuringExecution: array(
    closed(
      { weight: integer(1, 100), podAffinityTerm },
      { required: ['weight', 'podAffinityTerm'] },
    ),
  ),
});
const affinity = closed({
  nodeAffinity: closed({
    requiredDuringSchedulingIgnoredDuringExecution: closed(
      { nodeSelectorTerms: array(nodeSelectorTerm) },
      { required: ['nodeSelectorTerms'] },
    ),
    preferredDuringSchedulingIgnoredDuringExecution: array(
      closed(
        { weight: integer(1, 100), preference: nodeSelectorTerm },
        { required: ['weight', 'preference'] },
      ),
    ),
  }),
  podAffinity,
  podAntiAffinity: podAffinity,
});
const toleration = closed({
  key: string(),
  operator: { enum: ['Exists', 'Equal'] },
  value: string(),
  effect: { enum: ['NoSchedule', 'PreferNoSchedule', 'NoExecute', ''] },
  tolerationSeconds: integer(0),
});
const seccompProfile = closed(
  { type: { enum: ['RuntimeDefault', 'Localhost'] }, localhostProfile: string() },
  { required: ['type'] },
);
// The hardening is part of the contract: these keys may be restated, never loosened.
const podSecurityContext = closed(
  {
    runAsNonRoot: { const: true },
    runAsUser: integer(1),
    runAsGroup: integer(1),
    fsGroup: integer(1),
    fsGroupChangePolicy: { enum: ['OnRootMismatch', 'Always'] },
    supplementalGroups: array(integer(1)),
    seccompProfile,
  },
  { required: ['runAsNonRoot', 'seccompProfile'] },
);
const securityContext = closed(
  {
    runAsNonRoot: { const: true },
    runAsUser: integer(1),
    runAsGroup: integer(1),
    allowPrivilegeEscalation: { const: false },
    readOnlyRootFilesystem: { const: true },
    privileged: { const: false },
    capabilities: closed({
      drop: array(string()),
      add: array(string({ enum: ['NET_BIND_SERVICE'] })),
    }),
    seccompProfile,
  },
  { required: ['allowPrivilegeEscalation', 'readOnlyRootFilesystem', 'capabilities'] },
);
const resourceList = closed({ cpu: quantity, memory: quantity, 'ephemeral-storage': quantity });
const resources = closed(
  { requests: resourceList, limits: resourceList },
  { required: ['requests', 'limits'] },
);
const probe = closed({
  initialDelaySeconds: integer(0),
  periodSeconds: integer(1),
  timeoutSeconds: integer(1),
  failureThreshold: integer(1),
  successThreshold: integer(1),
});

// global: what every app shares; the umbrella passes it down to each app chart.
const backendPolicy = (extra = {}) =>
  closed(
    { peers: array(networkPolicyPeer), ports: array(port, { minItems: 1 }), ...extra },
    { required: ['ports'] },
  );
const global = closed(
  {
    image: closed(
      {
        registry: string({ minLength: 1 }),
        tag: string({ pattern: '^[A-Za-z0-9_][A-Za-z0-9_.+-]{0,127}$|^$' }),
        pullPolicy: { enum: ['Always', 'IfNotPresent', 'Never'] },
      },
      { required: ['registry'] },
    ),
    imagePullSecrets: array(closed({ name: secretName }, { required: ['name'] })),
    logLevel: { enum: ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] },
    keycloak: closed(
      {
        issuer: url(['http', 'https']),
        discoveryUrl: { anyOf: [url(['http', 'https']), { const: '' }] },
        audience: string({ minLength: 1 }),
        networkPolicy: backendPolicy(),
      },
      { required: ['issuer'] },
    ),
    nats: closed(
      { url: url(['nats', 'tls']), streamReplicas: integer(1, 5), networkPolicy: backendPolicy() },
      { required: ['url'] },
    ),
    influxdb: closed({
      url: url(['http', 'https']),
      user: string({ minLength: 1 }),
      passwordSecret: secretRef,
      networkPolicy: backendPolicy({
        protect: boolean,
        podLabels: stringMap,
        readers: array(networkPolicyPeer),
        namespace: string(),
      }),
    }),
    s3: closed({
      endpoint: url(['http', 'https']),
      publicEndpoint: { anyOf: [url(['http', 'https']), { const: '' }] },
      accessKeySecret: secretRef,
      secretKeySecret: secretRef,
      networkPolicy: backendPolicy(),
    }),
    mongodb: closed({ urlSecret: secretRef, networkPolicy: backendPolicy() }),
    postgresql: closed({ urlSecret: secretRef, networkPolicy: backendPolicy() }),
    redis: closed({ urlSecret: secretRef, networkPolicy: backendPolicy() }),
    mqtt: closed({
      enabled: boolean,
      url: url(['mqtt', 'mqtts', 'ws', 'wss']),
      user: string({ minLength: 1 }),
      passwordSecret: secretRef,
      networkPolicy: backendPolicy(),
    }),
    // METRICS_TOKEN of every app (an app's own metrics.tokenSecret wins).
    metrics: closed({ tokenSecret: optionalSecretRef }),
  },
  { required: ['image', 'keycloak', 'nats'] },
);

// Names that hold secrets never go in plain env (they would land in a ConfigMap).
const secretLike = 'PASSWORD|SECRET|TOKEN|ACCESS_KEY|^(REDIS|MONGO|POSTGRES)_URL$';

// In the umbrella an app's key holds only what the operator overrides (the app chart's own
// values.yaml fills the rest), so nothing there is required.
function appSchema(app, { required = true } = {}) {
  const properties = {
    global,
    enabled: boolean,
    replicaCount: integer(0),
    fullnameOverride: string({ maxLength: 63 }),
    image: closed({
      registry: string(),
      repository: string(),
      tag: string(),
      digest: { anyOf: [string({ pattern: '^sha256:[a-f0-9]{64}$' }), { const: '' }] },
      pullPolicy: { enum: ['Always', 'IfNotPresent', 'Never', ''] },
    }),
    port,
    logLevel: { enum: ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent', ''] },
    nats: closed(
      {
        user: string({ minLength: 1 }),
        passwordSecret: secretRef,
        credsSecret: optionalSecretRef,
        ...(app === 'ingest' && { calloutIssuerSeedSecret: optionalSecretRef }),
      },
      { required: ['user'] },
    ),
    env: map(string(), { propertyNames: { pattern: envName, not: { pattern: secretLike } } }),
    // METRICS_TOKEN has its own key (metrics.tokenSecret), which the ServiceMonitor reads too.
    secretEnv: map(secretRef, {
      propertyNames: { pattern: envName, not: { const: 'METRICS_TOKEN' } },
    }),
    metrics: closed({ tokenSecret: optionalSecretRef }),
    resources,
    probes: closed({ startup: probe, liveness: probe, readiness: probe }),
    serviceAccount: closed({ create: boolean, name: string(), annotations: stringMap }),
    podSecurityContext,
    securityContext,
    terminationGracePeriodSeconds: integer(1),
    service: closed({
      type: { enum: ['ClusterIP', 'NodePort', 'LoadBalancer'] },
      annotations: stringMap,
    }),
    ingress: closed({
      enabled: boolean,
      className: string(),
      annotations: stringMap,
      hosts: array(
        closed(
          {
            host: string({ minLength: 1 }),
            paths: array(
              closed(
                {
                  path: string({ pattern: '^/' }),
                  pathType: { enum: ['Prefix', 'Exact', 'ImplementationSpecific'] },
                },
                { required: ['path', 'pathType'] },
              ),
              { minItems: 1 },
            ),
          },
          { required: ['host', 'paths'] },
        ),
      ),
      tls: array(
        closed({ secretName, hosts: array(string()) }, { required: ['secretName', 'hosts'] }),
      ),
    }),
    autoscaling: closed({
      enabled: boolean,
      minReplicas: integer(1),
      maxReplicas: integer(1),
      targetCPUUtilizationPercentage: integer(1, 100),
    }),
    podDisruptionBudget: closed({
      enabled: boolean,
      maxUnavailable: { type: ['integer', 'string'] },
    }),
    serviceMonitor: closed({
      enabled: boolean,
      interval: string({ pattern: '^[0-9]+(ms|s|m|h)$' }),
      scrapeTimeout: string({ pattern: '^[0-9]+(ms|s|m|h)$' }),
      labels: stringMap,
    }),
    networkPolicy: closed({
      enabled: boolean,
      ingressFrom: array(networkPolicyPeer),
      extraEgress: array(egressRule),
    }),
    topologySpread: closed({
      enabled: boolean,
      whenUnsatisfiable: { enum: ['ScheduleAnyway', 'DoNotSchedule'] },
    }),
    podAnnotations: stringMap,
    podLabels: stringMap,
    priorityClassName: string(),
    nodeSelector: stringMap,
    affinity,
    tolerations: array(toleration),
    // Helm hands the library dependency a copy of global; nothing else belongs there.
    'iotwins-lib': closed({ global }),
  };
  if (app === 'ingest') {
    properties.grpc = closed({
      enabled: boolean,
      port,
      ingress: closed({
        enabled: boolean,
        className: string(),
        annotations: stringMap,
        host: string({ minLength: 1 }),
        tlsSecretName: { anyOf: [secretName, { const: '' }] },
      }),
    });
  }
  if (app === 'ingest') {
    // Ingest's own MQTT endpoint (ADR 0009): plain TCP, exposed by a Service, never an Ingress.
    properties.mqttServer = closed({
      enabled: boolean,
      port,
      service: closed({
        enabled: boolean,
        type: { enum: ['LoadBalancer', 'NodePort'] },
        port: integer(0, 65535),
        nodePort: integer(0, 65535),
        externalTrafficPolicy: { enum: ['Cluster', 'Local'] },
        loadBalancerSourceRanges: array(string({ pattern: '^[0-9a-fA-F.:]+/[0-9]{1,3}$' })),
        annotations: stringMap,
      }),
      networkPolicy: closed({ ingressFrom: array(networkPolicyPeer) }),
    });
    // The tenants' connectors (docs/connectors.md); no key: they cannot hold credentials.
    properties.connectors = closed({
      enabled: boolean,
      leaseSeconds: integer(1),
      secretKeySecret: optionalSecretRef,
      // The file connectors: the tenants' buckets (global.s3.endpoint) through an identity that
      // only asks STS for narrowed credentials, exports as the tenant's InfluxDB reader.
      files: closed({
        enabled: boolean,
        s3AccessKey: string(),
        s3SecretKeySecret: optionalSecretRef,
        readerSecretSecret: optionalSecretRef,
        maxFileBytes: integer(1),
        exportMaxPoints: integer(1),
      }),
    });
  }
  return closed(
    properties,
    required ? { required: ['global', 'port', 'nats', 'resources', 'securityContext'] } : {},
  );
}

function files() {
  const header = (title) => ({ $schema: 'http://json-schema.org/draft-07/schema#', title });
  const out = {};
  for (const app of APPS) {
    out[`iotwins-${app}/values.schema.json`] = {
      ...header(`IoTwinS ${app} chart values`),
      ...appSchema(app),
    };
  }
  out['iotwins/values.schema.json'] = {
    ...header('IoTwinS umbrella chart values'),
    ...closed({
      global,
      natsProvision: closed({
        enabled: boolean,
        user: string({ minLength: 1 }),
        passwordSecret: secretRef,
        tenants: string({ pattern: '^([a-z0-9][a-z0-9-]*(,[a-z0-9][a-z0-9-]*)*)?$' }),
        env: map(string(), { propertyNames: { pattern: envName, not: { pattern: secretLike } } }),
      }),
      ...Object.fromEntries(APPS.map((app) => [app, appSchema(app, { required: false })])),
    }),
  };
  return Object.entries(out).map(([path, schema]) => [
    resolve(HELM, path),
    `${JSON.stringify(schema, null, 2)}\n`,
  ]);
}

const check = process.argv.includes('--check');
let stale = 0;
for (const [path, text] of files()) {
  if (!check) writeFileSync(path, text);
  else if (
    (() => {
      try {
        return readFileSync(path, 'utf8');
      } catch {
        return '';
      }
    })() !== text
  ) {
    console.error(`${path} is out of date: run node scripts/helm-schema.js`);
    stale += 1;
  }
}
process.exit(stale ? 1 : 0);
