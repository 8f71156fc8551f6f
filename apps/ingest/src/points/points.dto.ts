import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

export class PointDto {
  @ApiProperty({ example: 'turbine' })
  measurement!: string;

  @ApiPropertyOptional({
    example: { site: 'north', unit: '7' },
    type: 'object',
    additionalProperties: { type: 'string' },
  })
  tags?: Record<string, string>;

  @ApiProperty({
    description:
      'A number is a float, a boolean or string keeps its type; integers are written as ' +
      '{"type":"integer","value":42} (value may be a decimal string for 64-bit values), also uinteger, float, boolean, string.',
    example: { power: 1520.5, running: true, state: 'ok', rpm: { type: 'integer', value: 1200 } },
    type: 'object',
    additionalProperties: true,
  })
  fields!: Record<string, unknown>;

  @ApiPropertyOptional({
    description:
      'RFC 3339 with up to nine fraction digits, or an integer epoch in the batch precision; omitted = time of receipt',
    example: '2026-11-24T10:00:00.123456789Z',
    oneOf: [{ type: 'string' }, { type: 'integer' }],
  })
  time?: string | number;
}

export class PointBatchDto {
  @ApiProperty({ type: [PointDto] })
  points!: PointDto[];
}

export class WriteAcceptedDto {
  @ApiProperty({ description: 'Points stored durably (acknowledged by JetStream)', example: 2 })
  accepted!: number;
}
