import { ApiProperty } from '@nestjs/swagger';
import { ArrayMinSize, IsArray, IsIn, IsInt, IsOptional, IsString, Min } from 'class-validator';

export class PresignRequestDto {
  @ApiProperty({ enum: ['GET', 'PUT'], description: 'PUT to upload, GET to download' })
  @IsIn(['GET', 'PUT'], { message: 'method must be GET or PUT' })
  method!: 'GET' | 'PUT';

  @ApiProperty({ type: [String], example: ['runs/2026-11-24/part-0001.parquet'] })
  @IsArray()
  @ArrayMinSize(1)
  @IsString({ each: true })
  keys!: string[];

  @ApiProperty({ required: false, description: 'Seconds the URLs stay valid' })
  @IsOptional()
  @IsInt()
  @Min(1)
  expiresIn?: number;
}

export class PresignedUrlDto {
  @ApiProperty() key!: string;
  @ApiProperty() url!: string;
}

export class PresignedUrlsDto {
  @ApiProperty({ enum: ['GET', 'PUT'] }) method!: 'GET' | 'PUT';
  @ApiProperty({ example: '2026-11-24T10:15:00.000Z' }) expiresAt!: string;
  @ApiProperty({ type: [PresignedUrlDto] }) urls!: PresignedUrlDto[];
}
