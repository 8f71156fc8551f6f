import { ApiProperty } from '@nestjs/swagger';
import { IsIn, IsOptional, IsString } from 'class-validator';
import { ACLS, type Acl } from '../access/acl';

export class CreateBucketDto {
  @ApiProperty({ example: 'sensor-archive', description: 'S3 bucket name rules, 3 to 51 chars' })
  @IsString()
  name!: string;

  @ApiProperty({ enum: ACLS, required: false, default: 'private' })
  @IsOptional()
  @IsIn(ACLS, { message: `acl must be one of ${ACLS.join(', ')}` })
  acl?: Acl;
}

export class BucketAclDto {
  @ApiProperty({ enum: ACLS })
  @IsIn(ACLS, { message: `acl must be one of ${ACLS.join(', ')}` })
  acl!: Acl;
}

export class BucketDto {
  @ApiProperty({ example: 'sensor-archive' })
  name!: string;
  @ApiProperty({ enum: ACLS })
  acl!: Acl;
  @ApiProperty({ description: 'Token subject of whoever created it' })
  owner!: string;
  @ApiProperty({ example: '2026-11-24T10:00:00.000Z' })
  createdAt!: string;
}

export class BucketListDto {
  @ApiProperty({ type: [BucketDto] })
  buckets!: BucketDto[];
}
