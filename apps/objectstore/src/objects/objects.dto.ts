import { ApiProperty } from '@nestjs/swagger';
import { IsIn, IsOptional, IsString, ValidateIf } from 'class-validator';
import { ACLS, type Acl } from '../access/acl';

export class ObjectWrittenDto {
  @ApiProperty() bucket!: string;
  @ApiProperty() key!: string;
  @ApiProperty({ description: 'Bytes stored' }) size!: number;
  @ApiProperty({ description: 'S3 ETag (MD5 for single uploads, part hash for multipart)' })
  etag!: string;
  @ApiProperty({ description: 'Hex SHA-256 of the bytes received' }) sha256!: string;
  @ApiProperty() contentType!: string;
}

export class ListedObjectDto {
  @ApiProperty() key!: string;
  @ApiProperty() size!: number;
  @ApiProperty() etag!: string;
  @ApiProperty() lastModified!: string;
}

export class ObjectListDto {
  @ApiProperty() bucket!: string;
  @ApiProperty() prefix!: string;
  @ApiProperty({ required: false, enum: ['/'] }) delimiter?: '/';
  @ApiProperty({ type: [ListedObjectDto] }) objects!: ListedObjectDto[];
  @ApiProperty({ type: [String], description: 'Logical folders below the prefix (with "/")' })
  prefixes!: string[];
  @ApiProperty({ required: false, description: 'Pass as ?cursor= for the next page' })
  nextCursor?: string;
}

export class CopyObjectDto {
  @ApiProperty({ description: 'Key of the copy in this bucket' })
  @IsString()
  key!: string;

  @ApiProperty({ required: false, description: 'Bucket of the source; default this bucket' })
  @IsOptional()
  @IsString()
  sourceBucket?: string;

  @ApiProperty()
  @IsString()
  sourceKey!: string;
}

export class CopiedObjectDto {
  @ApiProperty() bucket!: string;
  @ApiProperty() key!: string;
  @ApiProperty() etag!: string;
  @ApiProperty() lastModified!: string;
}

export class ObjectAclDto {
  @ApiProperty({
    enum: ACLS,
    nullable: true,
    description: 'The object’s own ACL; null means the bucket’s ACL applies',
  })
  @ValidateIf((_, value) => value !== null)
  @IsIn(ACLS, { message: `acl must be null or one of ${ACLS.join(', ')}` })
  acl!: Acl | null;
}

export class ObjectAclViewDto extends ObjectAclDto {
  @ApiProperty({ enum: ACLS, description: 'What applies: the own ACL, else the bucket’s' })
  effective!: Acl;
}
