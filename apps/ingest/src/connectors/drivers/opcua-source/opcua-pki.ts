import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { OPCUACertificateManager } from 'node-opcua-certificate-manager';

let manager: Promise<OPCUACertificateManager> | undefined;

/**
 * The PKI of ingest's OPC-UA client, one per process: its application certificate and key
 * (made on first use, in `own/`) and the server certificates it has seen (`trusted/`).
 * node-opcua's default lives in the user's home, which a container's read-only root file
 * system cannot hold, so it is `CONNECTORS_OPCUA_PKI_DIR` (validated by app.config at start)
 * or a folder in the temporary directory. A persistent folder keeps the certificate a server
 * was told to trust across restarts.
 */
export function opcuaCertificateManager(): Promise<OPCUACertificateManager> {
  manager ??= (async () => {
    const { OPCUACertificateManager } = await import('node-opcua-certificate-manager');
    const created = new OPCUACertificateManager({
      rootFolder: process.env.CONNECTORS_OPCUA_PKI_DIR || join(tmpdir(), 'iotwins-opcua-pki'),
      // Servers' certificates are accepted (and kept in trusted/): machines on a plant
      // network mostly use self-signed ones that no CA vouches for.
      automaticallyAcceptUnknownCertificate: true,
    });
    await created.initialize();
    return created;
  })();
  manager.catch(() => (manager = undefined));
  return manager;
}
