import { ApiProperty } from '@nestjs/swagger';
import { IsBoolean, IsIn, IsOptional, IsString } from 'class-validator';
import { ACLS, type Acl } from '../access/acl';

export class CreateBucketDto {
  @ApiProperty({ example: 'sensor-archive', description: 'S3 bucket name rules, 3 to 51 chars' })
  @IsString()
  name!: string;

  @ApiProperty({ enum: ACLS, required: false, default: 'private' })
  @IsOptional()
  @IsIn(ACLS, { message: `acl must be one of ${ACLS.join(', ')}` })
  acl?: Acl;

  @ApiProperty({
    required: false,
    default: false,
    description:
      'Serve objects inline as web content (pages run in a sandboxed opaque origin); ' +
      'otherwise every object is served as an attachment. See docs/objectstore.md.',
  })
  @IsOptional()
  @IsBoolean()
  inlineContent?: boolean;
}

export class InlineContentDto {
  @ApiProperty({ description: 'true: serve objects inline; false (default): as attachments' })
  @IsBoolean()
  enabled!: boolean;
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
  @ApiProperty({ description: 'Whether objects are served inline rather than as attachments' })
  inlineContent!: boolean;
  @ApiProperty({ description: 'Token subject of whoever created it' })
  owner!: string;
  @ApiProperty({ example: '2026-11-24T10:00:00.000Z' })
  createdAt!: string;
}

export class BucketListDto {
  @ApiProperty({ type: [BucketDto] })
  buckets!: BucketDto[];
}
