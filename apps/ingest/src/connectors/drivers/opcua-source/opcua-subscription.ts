import { X509Certificate } from 'node:crypto';
import type {
  ClientSession,
  ClientSubscription,
  OPCUAClient,
  UserIdentityInfo,
} from 'node-opcua-client';
import { opcuaCertificateManager } from './opcua-pki';
import type { OpcuaSourceConfig, OpcuaItem } from './opcua-source.config';
import type { OpcuaDataValue } from './opcua-values';

/** A data change of one configured item, as node-opcua delivered it. */
export interface OpcuaChange {
  item: OpcuaItem;
  value: OpcuaDataValue;
}

export interface OpcuaSubscriptionOptions {
  config: OpcuaSourceConfig;
  /** The opened secret of the login: a password or a private key (PEM); none for anonymous. */
  userSecret: string | undefined;
  /** Refuses a host the platform may not call for tenants (ctx.outbound.assertHost). */
  assertHost: (host: string) => Promise<void>;
  /** Called with each publish's changes, in the order the server sent them. */
  onChanges: (changes: OpcuaChange[]) => void;
}

/** node-opcua is large: it is loaded on the first OPC-UA connector, not at ingest's start. */
type OpcuaModule = typeof import('node-opcua-client');
let opcua: Promise<OpcuaModule> | undefined;
const loadOpcua = (): Promise<OpcuaModule> => (opcua ??= import('node-opcua-client'));

/**
 * One connection to an OPC-UA server: a session, one subscription with the configured
 * monitored items. `open` fails with a reason a tenant can act on (unreachable endpoint,
 * refused login, unknown node id); `lost` resolves with the reason once the connection,
 * session or subscription is gone. A lost connection is never repaired in place: the driver
 * closes it and opens a new one, so a restarted server gets a new session and subscription.
 */
export class OpcuaSubscription {
  private client: OPCUAClient | undefined;
  private session: ClientSession | undefined;
  private subscription: ClientSubscription | undefined;
  private closed = false;
  private onLost: ((reason: string) => void) | undefined;
  readonly lost: Promise<string>;

  constructor(private readonly options: OpcuaSubscriptionOptions) {
    this.lost = new Promise((resolve) => {
      this.onLost = (reason) => {
        if (!this.closed) resolve(reason);
      };
    });
  }

  async open(): Promise<void> {
    const { config } = this.options;
    const url = config.endpointUrl;
    try {
      await this.options.assertHost(new URL(url).hostname);
    } catch (error) {
      throw new Error(`cannot connect to ${url}: ${firstLine(error)}`);
    }
    const lib = await loadOpcua();
    const clientCertificateManager = await opcuaCertificateManager();
    this.client = lib.OPCUAClient.create({
      applicationName: 'IoTwinS ingest connector',
      clientCertificateManager,
      endpointMustExist: false,
      securityMode: lib.MessageSecurityMode[config.securityMode],
      securityPolicy: lib.SecurityPolicy[config.securityPolicy],
      // One attempt per open: the driver retries with its own back-off and reports each failure.
      connectionStrategy: { maxRetry: 0, initialDelay: 500, maxDelay: 2_000 },
      requestedSessionTimeout: 60_000,
      keepSessionAlive: true,
    });
    this.client.on('connection_lost', () => this.onLost?.(`connection to ${url} lost`));
    this.client.on('close', () => this.onLost?.(`connection to ${url} closed`));
    try {
      await this.step(this.client.connect(url));
    } catch (error) {
      throw new Error(`cannot connect to ${url}: ${firstLine(error)}`);
    }
    const user = await userIdentity(lib, config.user, this.options.userSecret ?? '');
    try {
      this.session = await this.step(this.client.createSession(user));
    } catch (error) {
      throw new Error(`session refused by ${url}: ${firstLine(error)}`);
    }
    this.session.on('session_closed', (status) =>
      this.onLost?.(`session closed by ${url}: ${status.toString()}`),
    );
    this.session.on('keepalive_failure', () => this.onLost?.(`${url} stopped answering`));
    this.subscription = await this.step(
      this.session.createSubscription2({
        requestedPublishingInterval: config.publishingIntervalMs,
        // Lifetime and keep-alive counts in publishing intervals: the server ends a subscription
        // it has not heard from for about a minute, and says it is alive every few seconds.
        requestedLifetimeCount: Math.max(30, Math.ceil(60_000 / config.publishingIntervalMs)),
        requestedMaxKeepAliveCount: Math.max(3, Math.ceil(5_000 / config.publishingIntervalMs)),
        maxNotificationsPerPublish: 0,
        publishingEnabled: true,
        priority: 1,
      }),
    );
    this.subscription.on('terminated', () => this.onLost?.(`subscription ended by ${url}`));
    // An 'error' event without a listener would end the process: it ends this connection only.
    this.subscription.on('error', (error: Error) =>
      this.onLost?.(`subscription failed: ${firstLine(error)}`),
    );
    this.subscription.on('internal_error', (error) =>
      this.onLost?.(`subscription failed: ${firstLine(error)}`),
    );

    // The changes of one publish response are handed out synchronously, one by one: collected
    // until the next turn of the event loop, they are stored together as one batch of points.
    let pending: OpcuaChange[] = [];
    const collect = (change: OpcuaChange): void => {
      if (pending.length === 0)
        setImmediate(() => {
          const changes = pending;
          pending = [];
          if (!this.closed) this.options.onChanges(changes);
        });
      pending.push(change);
    };
    for (const [index, item] of config.items.entries()) {
      const monitored = await this.step(
        this.subscription.monitor(
          { nodeId: item.nodeId, attributeId: lib.AttributeIds.Value },
          {
            samplingInterval: item.samplingIntervalMs,
            queueSize: item.queueSize,
            discardOldest: true,
          },
          lib.TimestampsToReturn.Both,
        ),
      );
      if (monitored.statusCode.isNotGood())
        throw new Error(`item ${index} (${item.nodeId}): ${monitored.statusCode.toString()}`);
      monitored.on('changed', (value: OpcuaDataValue) => collect({ item, value }));
    }
  }

  /**
   * Awaits one step of `open`; when the connection was closed meanwhile (the run aborted),
   * lets go of what the step made and stops there.
   */
  private async step<T>(work: Promise<T>): Promise<T> {
    const value = await work;
    if (this.closed) {
      await this.release();
      throw new Error('closed while opening');
    }
    return value;
  }

  /** Lets go of the subscription, session and connection; safe to call more than once. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.release();
  }

  private async release(): Promise<void> {
    // A server that went away answers nothing: each step waits a little, then the next.
    await settled(this.subscription?.terminate());
    await settled(this.session?.close());
    await settled(this.client?.disconnect());
  }
}

/** The session's user: anonymous, a username and password, or an X.509 certificate and its key. */
async function userIdentity(
  lib: OpcuaModule,
  user: OpcuaSourceConfig['user'],
  secret: string,
): Promise<UserIdentityInfo> {
  switch (user.type) {
    case 'anonymous':
      return { type: lib.UserTokenType.Anonymous };
    case 'username':
      return { type: lib.UserTokenType.UserName, userName: user.username, password: secret };
    case 'certificate': {
      const crypto = await import('node-opcua-crypto');
      let keyOperations;
      try {
        keyOperations = crypto.keyOperationsFromPrivateKey(
          crypto.coercePEMorDerToPrivateKey(secret),
        );
      } catch {
        // Never the parser's message: it could quote the key.
        throw new Error('the user private key is not an unencrypted PEM private key');
      }
      return {
        type: lib.UserTokenType.Certificate,
        certificateData: new X509Certificate(user.certificate).raw,
        keyOperations,
      };
    }
  }
}

const CLOSE_STEP_MS = 2_000;

/** Waits for `work` to settle, at most CLOSE_STEP_MS; its outcome does not matter. */
async function settled(work: Promise<unknown> | undefined): Promise<void> {
  if (!work) return;
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([
    work.catch(() => undefined),
    new Promise((resolve) => (timer = setTimeout(resolve, CLOSE_STEP_MS))),
  ]);
  clearTimeout(timer);
}

/** node-opcua's messages run over several lines (with diagnostics); the first says it. */
function firstLine(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.split('\n')[0]!.trim();
}
