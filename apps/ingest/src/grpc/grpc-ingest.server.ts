import { resolve } from 'node:path';
import {
  Inject,
  Injectable,
  Logger,
  OnApplicationBootstrap,
  OnApplicationShutdown,
} from '@nestjs/common';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { APP_CONFIG } from '@iotwins/config';
import { hasRole, InvalidTokenError, Role, TokenVerifier, type Caller } from '@iotwins/auth';
import { ProblemException } from '@iotwins/http';
import { LineBatch } from '@iotwins/telemetry';
import type { IngestConfig } from '../app.config';
import { IngestService } from '../telemetry/ingest.service';
import { IngestMetrics } from '../telemetry/ingest.metrics';
import { fromProtoPoints, type ProtoPoint } from './grpc-points';
import { rawStrings, type RawStrings } from './grpc-utf8';

/** The proto file ships with the repo at proto/; found from the built or source layout. */
const PROTO = resolve(__dirname, '../../../../proto/iotwins/ingest/v1/ingest.proto');

interface WriteRequest {
  idempotency_key: string;
  payload?: 'line_protocol' | 'points';
  line_protocol?: string;
  points?: { points: ProtoPoint[] };
  precision: string;
  /** Added by the server's deserializer: what the decoded strings cannot tell. */
  raw: RawStrings;
}

interface Rejected {
  batch: number;
  item: number;
  detail: string;
}

/**
 * The client-streaming Write call of iotwins.ingest.v1.Ingest, for gateways that keep a
 * connection open. Same validation, tenant rules and durability as the HTTP paths.
 */
@Injectable()
export class GrpcIngestServer implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(GrpcIngestServer.name);
  private readonly server = new grpc.Server({
    'grpc.max_receive_message_length': 16 * 1024 * 1024,
  });
  private boundPort: number | undefined;

  constructor(
    private readonly ingest: IngestService,
    private readonly verifier: TokenVerifier,
    private readonly metrics: IngestMetrics,
    @Inject(APP_CONFIG) private readonly config: IngestConfig,
  ) {}

  /** The port the server listens on (useful when GRPC_PORT is 0). */
  get port(): number | undefined {
    return this.boundPort;
  }

  async onApplicationBootstrap(): Promise<void> {
    if (!this.config.GRPC_ENABLED) return;
    const definition = protoLoader.loadSync(PROTO, {
      longs: String,
      defaults: true,
      oneofs: true,
      keepCase: true,
    });
    const proto = grpc.loadPackageDefinition(definition) as unknown as {
      iotwins: { ingest: { v1: { Ingest: grpc.ServiceClientConstructor } } };
    };
    const service = proto.iotwins.ingest.v1.Ingest.service;
    const write = service.Write!;
    // The request is decoded as before, and its raw bytes read for the strings' encoding.
    const checked: grpc.ServiceDefinition = {
      ...service,
      Write: {
        ...write,
        requestDeserialize: (buf: Buffer) => ({
          ...(write.requestDeserialize(buf) as object),
          raw: rawStrings(buf),
        }),
      },
    };
    this.server.addService(checked, {
      Write: (
        call: grpc.ServerReadableStream<WriteRequest, unknown>,
        callback: grpc.sendUnaryData<unknown>,
      ) => void this.write(call, callback),
    });
    this.boundPort = await new Promise<number>((done, fail) =>
      this.server.bindAsync(
        `${this.config.HOST}:${this.config.GRPC_PORT}`,
        grpc.ServerCredentials.createInsecure(),
        (error, port) => (error ? fail(error) : done(port)),
      ),
    );
    this.logger.log(`gRPC ingest listening on ${this.config.HOST}:${this.boundPort}`);
  }

  async onApplicationShutdown(): Promise<void> {
    await new Promise<void>((done) => this.server.tryShutdown(() => done()));
  }

  private async write(
    call: grpc.ServerReadableStream<WriteRequest, unknown>,
    callback: grpc.sendUnaryData<unknown>,
  ): Promise<void> {
    let caller: Caller;
    try {
      caller = await this.authenticate(call.metadata);
    } catch (error) {
      callback(error as grpc.ServiceError);
      return;
    }
    let accepted = 0;
    const rejected: Rejected[] = [];
    // Named at most INGEST_MAX_LISTED_ERRORS in the answer; the rest are counted.
    let rejectedCount = 0;
    const reject = (item: Rejected): void => {
      rejectedCount += 1;
      if (rejected.length < this.config.INGEST_MAX_LISTED_ERRORS) rejected.push(item);
    };
    let batch = 0;
    try {
      for await (const request of call as AsyncIterable<WriteRequest>) {
        const context = this.ingest.context(
          caller,
          undefined,
          request.idempotency_key || undefined,
        );
        if (request.raw?.invalidField)
          throw status(
            grpc.status.INVALID_ARGUMENT,
            `${request.raw.invalidField} is not valid UTF-8`,
          );
        if (request.payload === 'line_protocol') {
          const precision = (request.precision || 'ns') as 'ns' | 'us' | 'ms' | 's';
          if (!['ns', 'us', 'ms', 's'].includes(precision))
            throw status(
              grpc.status.INVALID_ARGUMENT,
              `precision "${request.precision}" is not ns, us, ms or s`,
            );
          // The bytes as sent: a line that is not UTF-8 is refused on its own, as on /write.
          const {
            batch: lines,
            errors,
            errorCount,
            truncated,
          } = await this.ingest.scanLines(
            context,
            request.raw?.lineProtocol ?? request.line_protocol ?? '',
            precision,
          );
          if (truncated)
            throw status(
              grpc.status.RESOURCE_EXHAUSTED,
              `batch ${batch} has more than ${context.limits.maxPointsPerBatch} lines, stored or refused`,
            );
          this.ingest.refused(context, 'invalid-line', errorCount);
          accepted += await this.ingest.write(context, lines, 'grpc');
          for (const error of errors) reject({ batch, item: error.line, detail: error.detail });
          rejectedCount += errorCount - errors.length;
        } else if (request.payload === 'points') {
          const { points, errors } = fromProtoPoints(
            request.points?.points ?? [],
            context.receivedAt,
            context.limits,
            request.raw?.invalidPoints,
          );
          const conflicts = await this.ingest.checkPoints(context, points);
          const refused = new Set(conflicts.map((conflict) => conflict.index));
          const kept = points.filter((_, index) => !refused.has(index));
          this.ingest.refused(context, 'invalid-point', errors.length + conflicts.length);
          accepted += await this.ingest.write(context, LineBatch.of(kept), 'grpc');
          for (const error of errors) reject({ batch, ...error });
          // Conflicts are counted among the valid points; name them by their item in the request.
          const invalid = new Set(errors.map((error) => error.item));
          const items = (request.points?.points ?? []).map((_, item) => item);
          const validItems = items.filter((item) => !invalid.has(item));
          for (const { index, detail } of conflicts)
            reject({ batch, item: validItems[index] ?? index, detail });
        }
        batch += 1;
      }
      this.metrics.grpcCalls.inc({ outcome: 'ok' });
      callback(null, { accepted, rejected, rejected_count: rejectedCount });
    } catch (error) {
      const failure = toStatus(error, batch);
      this.metrics.grpcCalls.inc({ outcome: grpc.status[failure.code ?? grpc.status.INTERNAL] });
      callback(failure);
    }
  }

  private async authenticate(metadata: grpc.Metadata): Promise<Caller> {
    const header = metadata.get('authorization')[0];
    const match = typeof header === 'string' ? /^Bearer ([A-Za-z0-9\-_.]+)$/.exec(header) : null;
    if (!match)
      throw status(grpc.status.UNAUTHENTICATED, 'send "authorization: Bearer <token>" metadata');
    let caller: Caller;
    try {
      caller = await this.verifier.verify(match[1]!);
    } catch (error) {
      if (error instanceof InvalidTokenError)
        throw status(grpc.status.UNAUTHENTICATED, error.reason);
      throw status(grpc.status.UNAVAILABLE, 'tokens cannot be verified right now');
    }
    if (!hasRole(caller, Role.TelemetryWrite)) {
      throw status(
        grpc.status.PERMISSION_DENIED,
        `this call requires the role ${Role.TelemetryWrite}`,
      );
    }
    return caller;
  }
}

function status(code: grpc.status, details: string): Partial<grpc.ServiceError> {
  return Object.assign(new Error(details), { code, details });
}

/** Maps the platform's problem details onto gRPC status codes, naming the failing batch. */
function toStatus(error: unknown, batch: number): Partial<grpc.ServiceError> {
  if (error instanceof ProblemException) {
    const codes: Record<number, grpc.status> = {
      400: grpc.status.INVALID_ARGUMENT,
      403: grpc.status.PERMISSION_DENIED,
      413: grpc.status.RESOURCE_EXHAUSTED,
      429: grpc.status.RESOURCE_EXHAUSTED,
      503: grpc.status.UNAVAILABLE,
    };
    const code = codes[error.problem.status] ?? grpc.status.INTERNAL;
    return status(
      code,
      `batch ${batch} (the batches before it are stored): ${error.problem.detail ?? error.problem.title}`,
    );
  }
  if ((error as { code?: unknown }).code !== undefined && error instanceof Error)
    return error as grpc.ServiceError;
  return status(grpc.status.INTERNAL, `batch ${batch}: internal error`);
}
