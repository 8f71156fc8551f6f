import { Body, Controller, HttpCode, Param, Post } from '@nestjs/common';
import { ApiBody, ApiOperation, ApiParam, ApiQuery, ApiTags } from '@nestjs/swagger';
import { ActingTenant, RequireRoles, Role } from '@iotwins/auth';
import {
  nameUnsafeTextReason,
  ProblemException,
  parseInput,
  storeUnsafeStrings,
} from '@iotwins/http';
import { TENANT_QUERY } from '../common/tenant-query';
import {
  OBSERVATION_BATCH_OPENAPI,
  observationBatchSchema,
  type ObservationBatchAccepted,
} from './observations.dto';
import { ObservationsPublisher, ObservationsTooLargeError } from './observations.publisher';

/** Predictions and actual values over HTTP, for edges that do not speak NATS. */
@ApiTags('observations')
@ApiQuery(TENANT_QUERY)
@Controller('v1/models/:model/observations')
export class ObservationsController {
  constructor(private readonly publisher: ObservationsPublisher) {}

  @Post()
  @HttpCode(202)
  @RequireRoles(Role.TelemetryWrite)
  @ApiParam({ name: 'model' })
  @ApiBody({ schema: OBSERVATION_BATCH_OPENAPI })
  @ApiOperation({
    summary: 'Predictions and/or actuals of a model; 202 once stored on the OBSERVATIONS stream',
  })
  async post(
    @ActingTenant() tenant: string,
    @Param('model') model: string,
    @Body() body: unknown,
  ): Promise<ObservationBatchAccepted> {
    if (model.length === 0 || model.length > 256)
      throw ProblemException.of(400, 'invalid-model', 'model must have 1 to 256 characters');
    const unsafeModel = nameUnsafeTextReason(model);
    if (unsafeModel)
      throw ProblemException.of(400, 'invalid-model', `model (path) ${unsafeModel}`, {
        field: 'model',
      });
    // Validated whole first: a batch with one bad item is refused and nothing is stored.
    const batch = parseInput(observationBatchSchema, body, 'observation batch');
    // Text PostgreSQL refuses would be dead-lettered by the consumer; refused here instead.
    const unsafe = storeUnsafeStrings(batch, [], [], 10);
    if (unsafe.length > 0)
      throw ProblemException.of(
        400,
        'invalid-observation',
        unsafe.map((u) => `/${u.path.map(String).join('/')}: ${u.reason}`).join('; '),
        { fields: unsafe.map((u) => `/${u.path.map(String).join('/')}`) },
      );
    try {
      await this.publisher.publish(tenant, model, {
        prediction: batch.predictions,
        actual: batch.actuals,
      });
    } catch (error) {
      if (error instanceof ObservationsTooLargeError)
        throw ProblemException.of(
          413,
          'observations-too-large',
          `The batch encodes to a message of ${error.bytes} bytes, over the ${error.limit} bytes NATS takes; send fewer observations per request`,
          { limit: error.limit },
        );
      // Nothing is promised until JetStream stored it; a retry of the batch pairs the same.
      throw ProblemException.of(
        503,
        'stream-unavailable',
        'The OBSERVATIONS stream did not store the batch',
        {},
        {
          'retry-after': '5',
        },
      );
    }
    return { model, predictions: batch.predictions.length, actuals: batch.actuals.length };
  }
}
