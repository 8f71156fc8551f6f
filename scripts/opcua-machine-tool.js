// A simulated CNC machine tool behind node-opcua's own OPC-UA server: spindle speed, feed
// rate, axis positions, spindle temperature, a status string and a part counter under
// Objects/MachineTool (namespace 1, string node ids such as ns=1;s=SpindleSpeed). It accepts
// anonymous sessions, username/password sessions (OPCUA_SIM_USER / OPCUA_SIM_PASSWORD) and,
// when OPCUA_SIM_USER_CERT_DIR is set, sessions of the user whose certificate is
// operator.pem in that folder (with its key operator.key; both made there if missing), over
// security mode None, Sign and SignAndEncrypt (Basic256Sha256).
//
// Every value it publishes is printed to stdout as one JSON line
//   {"node":"ns=1;s=SpindleSpeed","value":1200.5,"type":"Double","time":"2026-...Z"}
// so a test (or a person) can compare what the server published with what was stored.
// Run by the OPC-UA connector tests and the docs example:
//   OPCUA_SIM_PORT=48400 node scripts/opcua-machine-tool.js
const { X509Certificate } = require('node:crypto');
const { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } = require('node:fs');
const { tmpdir } = require('node:os');
const { join } = require('node:path');
const { OPCUACertificateManager } = require('node-opcua-certificate-manager');
const {
  CertificatePurpose,
  createSelfSignedCertificate,
  generatePrivateKey,
  privateKeyToPEM,
} = require('node-opcua-crypto');
const { setInterval, clearInterval } = require('node:timers');
const { OPCUAServer } = require('node-opcua-server');
// The data model types come with the client package, which the server depends on.
const {
  DataType,
  MessageSecurityMode,
  SecurityPolicy,
  StatusCodes,
  Variant,
} = require('node-opcua-client');

const env = process.env;
const port = Number(env.OPCUA_SIM_PORT ?? 48400);
const intervalMs = Number(env.OPCUA_SIM_INTERVAL_MS ?? 500);
const user = env.OPCUA_SIM_USER ?? 'operator';
const password = env.OPCUA_SIM_PASSWORD ?? 'operator-local-secret';
const allowAnonymous = (env.OPCUA_SIM_ANONYMOUS ?? 'true') === 'true';
const userCertificateDir = env.OPCUA_SIM_USER_CERT_DIR;

/** The machine's variables: node id, OPC-UA data type, and how the next value follows. */
const STATES = ['IDLE', 'RUNNING', 'RUNNING', 'RUNNING', 'TOOL_CHANGE'];
const variables = [
  { name: 'SpindleSpeed', type: DataType.Double, next: (tick) => 1200 + 37.25 * (tick % 17) },
  { name: 'FeedRate', type: DataType.Float, next: (tick) => 250 + 2.5 * (tick % 9) },
  { name: 'AxisX', type: DataType.Double, next: (tick) => round(100 * Math.sin(tick / 5)) },
  { name: 'AxisY', type: DataType.Double, next: (tick) => round(80 * Math.cos(tick / 7)) },
  { name: 'AxisZ', type: DataType.Double, next: (tick) => -5 - (tick % 11) * 0.125 },
  { name: 'SpindleTemperature', type: DataType.Double, next: (tick) => 41.5 + (tick % 23) * 0.25 },
  { name: 'Status', type: DataType.String, next: (tick) => STATES[tick % STATES.length] },
  { name: 'PartCount', type: DataType.UInt32, next: (tick) => Math.floor(tick / 3) },
  { name: 'Alarm', type: DataType.Boolean, next: (tick) => tick % 13 === 12 },
];

/** The operator's certificate (PEM) in `dir`, made with its private key on first use. */
async function operatorCertificate(dir) {
  const certFile = join(dir, 'operator.pem');
  if (!existsSync(certFile)) {
    mkdirSync(dir, { recursive: true });
    const privateKey = await generatePrivateKey(2048);
    const { cert } = await createSelfSignedCertificate({
      privateKey,
      subject: '/CN=cnc-operator/O=IoTwinS',
      applicationUri: 'urn:iotwins:cnc-operator',
      validity: 365,
      purpose: CertificatePurpose.ForUserAuthentication,
    });
    writeFileSync(join(dir, 'operator.key'), (await privateKeyToPEM(privateKey)).privPem, {
      mode: 0o600,
    });
    writeFileSync(certFile, cert);
  }
  return readFileSync(certFile, 'utf8');
}

function round(value) {
  return Math.round(value * 1000) / 1000;
}

async function main() {
  // User certificates: a fresh store per run that trusts OPCUA_SIM_USER_CERT only (an
  // operator's badge, say); any other certificate is refused.
  const userPki = join(tmpdir(), `iotwins-machine-tool-${port}-user-pki`);
  rmSync(userPki, { recursive: true, force: true });
  const userCertificateManager = new OPCUACertificateManager({
    rootFolder: userPki,
    automaticallyAcceptUnknownCertificate: false,
  });
  await userCertificateManager.initialize();
  if (userCertificateDir)
    await userCertificateManager.trustCertificate(
      new X509Certificate(await operatorCertificate(userCertificateDir)).raw,
    );
  const server = new OPCUAServer({
    port,
    hostname: '127.0.0.1',
    resourcePath: '/UA/MachineTool',
    buildInfo: { productName: 'IoTwinS simulated machine tool', manufacturerName: 'IoTwinS' },
    allowAnonymous,
    securityModes: [
      MessageSecurityMode.None,
      MessageSecurityMode.Sign,
      MessageSecurityMode.SignAndEncrypt,
    ],
    securityPolicies: [SecurityPolicy.None, SecurityPolicy.Basic256Sha256],
    userManager: { isValidUser: (name, secret) => name === user && secret === password },
    userCertificateManager,
  });
  // A simulator trusts every client certificate (a real machine's admin would approve it).
  await server.serverCertificateManager.initialize();
  server.serverCertificateManager.automaticallyAcceptUnknownCertificate = true;
  await server.initialize();

  const addressSpace = server.engine.addressSpace;
  const namespace = addressSpace.getOwnNamespace();
  const machine = namespace.addObject({
    organizedBy: addressSpace.rootFolder.objects,
    browseName: 'MachineTool',
    nodeId: 's=MachineTool',
  });
  let tick = 0;
  const nodes = variables.map((variable) => {
    const node = namespace.addVariable({
      componentOf: machine,
      browseName: variable.name,
      nodeId: `s=${variable.name}`,
      dataType: DataType[variable.type],
      // Exception-based: every change is reported, none lost between samples.
      minimumSamplingInterval: 0,
    });
    return { ...variable, node, nodeId: `ns=${namespace.index};s=${variable.name}` };
  });

  const publish = () => {
    const time = new Date();
    for (const variable of nodes) {
      const value = variable.next(tick);
      variable.node.setValueFromSource(
        new Variant({ dataType: variable.type, value }),
        StatusCodes.Good,
        time,
      );
      const line = {
        node: variable.nodeId,
        value,
        type: DataType[variable.type],
        time: time.toISOString(),
      };
      process.stdout.write(`${JSON.stringify(line)}\n`);
    }
    tick += 1;
  };
  publish();
  const timer = setInterval(publish, intervalMs);

  await server.start();
  const endpoint = server.getEndpointUrl();
  process.stderr.write(`opcua machine tool listening on ${endpoint}\n`);
  process.stdout.write(`${JSON.stringify({ ready: endpoint })}\n`);

  const stop = async () => {
    clearInterval(timer);
    await server.shutdown(0);
    process.exit(0);
  };
  process.once('SIGINT', () => void stop());
  process.once('SIGTERM', () => void stop());
}

main().catch((error) => {
  process.stderr.write(`opcua machine tool failed: ${error.stack ?? error}\n`);
  process.exit(1);
});
