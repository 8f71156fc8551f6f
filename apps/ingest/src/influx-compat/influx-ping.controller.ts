import { Controller, Get, Head, Header, HttpCode } from '@nestjs/common';
import { ApiNoContentResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Public } from '@iotwins/auth';

/**
 * The InfluxDB API version these endpoints speak: the 1.x API, which InfluxDB 1.8 also
 * extended with the v2 write endpoint. Clients read it to pick their protocol.
 */
export const INFLUX_COMPAT_VERSION = '1.8.10';

/**
 * InfluxDB's /ping, which clients (the influx CLI, Node-RED, influxdb-java) call before they
 * write, and which answers without credentials as InfluxDB's does by default.
 */
@ApiTags('influxdb-compatible')
@Controller()
@Public()
export class InfluxPingController {
  @Get('ping')
  @Head('ping')
  @HttpCode(204)
  @Header('X-Influxdb-Version', INFLUX_COMPAT_VERSION)
  @Header('X-Influxdb-Build', 'OSS')
  @ApiOperation({ summary: 'InfluxDB ping: is the write endpoint up, and which API it speaks' })
  @ApiNoContentResponse({ description: 'Up; X-Influxdb-Version names the API' })
  ping(): void {}
}
