import type { SchemaObject } from '@nestjs/swagger/dist/interfaces/open-api-spec.interface';
import { z } from 'zod';
import { MAX_OBSERVATIONS_PER_MESSAGE, observationSchema } from '@iotwins/messaging';

/** A REST batch: predictions and/or actual values of one model. */
export const observationBatchSchema = z
  .object({
    predictions: z.array(observationSchema).max(MAX_OBSERVATIONS_PER_MESSAGE).default([]),
    actuals: z.array(observationSchema).max(MAX_OBSERVATIONS_PER_MESSAGE).default([]),
  })
  .strict()
  .refine((batch) => batch.predictions.length + batch.actuals.length > 0, {
    message: 'give at least one prediction or actual',
  });

export const OBSERVATION_BATCH_OPENAPI = z.toJSONSchema(observationBatchSchema, {
  io: 'input',
  unrepresentable: 'any',
}) as SchemaObject;

export interface ObservationBatchAccepted {
  model: string;
  predictions: number;
  actuals: number;
}
