import { Controller, Get } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiProperty, ApiTags } from '@nestjs/swagger';
import { CurrentCaller, RequireRoles } from './auth.decorators';
import type { Caller } from './caller';

export class CallerDto {
  @ApiProperty({ description: 'Token subject (user or service account id)' })
  subject!: string;
  @ApiProperty({ required: false, description: 'Client the token was issued to' })
  clientId?: string;
  @ApiProperty({ example: 'tenant-a' })
  tenant!: string;
  @ApiProperty({ type: [String], example: ['telemetry:write'] })
  roles!: string[];
}

/** Lets a caller see what the platform reads from its token: useful when a 403 surprises. */
@ApiTags('auth')
@Controller('v1/me')
export class CallerController {
  @Get()
  @RequireRoles()
  @ApiOperation({ summary: 'The identity, tenant and roles of the caller' })
  @ApiOkResponse({ type: CallerDto })
  me(@CurrentCaller() caller: Caller): CallerDto {
    return {
      subject: caller.subject,
      clientId: caller.clientId,
      tenant: caller.tenant,
      roles: [...caller.roles].sort(),
    };
  }
}
