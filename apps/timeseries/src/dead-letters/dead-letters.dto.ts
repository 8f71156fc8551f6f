import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { z } from '@iotwins/config';

export const MAX_DEAD_LETTERS_PAGE = 500;

/** Query of GET /v1/dead-letters: a page of dead letters after a cursor. */
export const deadLetterListQuerySchema = z.object({
  after: z.coerce.number().int().min(0).max(Number.MAX_SAFE_INTEGER).default(0),
  limit: z.coerce.number().int().min(1).max(MAX_DEAD_LETTERS_PAGE).default(100),
  tenant: z.string().optional(),
});

export const deadLetterIdSchema = z.coerce.number().int().min(1).max(Number.MAX_SAFE_INTEGER);

export class DeadLetterDto {
  @ApiProperty({ example: 42, description: 'Its sequence in the DEADLETTER stream' })
  id!: number;
  @ApiProperty({
    example: 'InfluxDB refused the batch (HTTP 400): partial write: field type conflict',
  })
  reason!: string;
  @ApiProperty({ type: [String], description: 'The line protocol that was not stored' })
  lines!: string[];
  @ApiProperty({ example: 1 })
  points!: number;
  @ApiPropertyOptional({ example: 'http' })
  source?: string;
  @ApiProperty({ example: '2026-11-24T10:00:00.000Z', description: 'When it was dead-lettered' })
  time!: string;
  @ApiPropertyOptional({
    example: true,
    description:
      'Present when only a prefix of the original is kept (it did not fit in one NATS message with the dead-letter headers); such a dead letter cannot be replayed',
  })
  truncated?: boolean;
  @ApiPropertyOptional({
    example: 1048000,
    description: 'Size of the original body, when truncated',
  })
  originalBytes?: number;
}

export class DeadLetterListDto {
  @ApiProperty({ type: [DeadLetterDto] })
  deadLetters!: DeadLetterDto[];
  @ApiPropertyOptional({ description: 'Pass as ?after= for the next page; absent on the last' })
  next?: number;
}

export class ReplayResultDto {
  @ApiProperty({ example: 42 })
  id!: number;
  @ApiProperty({ example: 1, description: 'Points now stored' })
  points!: number;
}
