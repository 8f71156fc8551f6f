import { Test } from '@nestjs/testing';
import { TerminusModule } from '@nestjs/terminus';
import type { FastifyReply } from 'fastify';
import { HealthController } from './health.controller';
import { READINESS_CHECKS, READINESS_TIMEOUT_MS, type ReadinessCheck } from './readiness-check';

async function readiness(checks: ReadinessCheck[]): Promise<{ status: number; body: unknown }> {
  const module = await Test.createTestingModule({
    imports: [TerminusModule.forRoot({ logger: false })],
    controllers: [HealthController],
    providers: [
      { provide: READINESS_CHECKS, useValue: checks },
      { provide: READINESS_TIMEOUT_MS, useValue: 50 },
    ],
  }).compile();
  let status = 200;
  const reply = { status: (code: number) => (status = code) } as unknown as FastifyReply;
  const body = await module.get(HealthController).ready(reply);
  return { status, body };
}

const up = (name: string, required?: boolean): ReadinessCheck => ({
  name,
  required,
  probe: async () => undefined,
});
const down = (name: string, required?: boolean): ReadinessCheck => ({
  name,
  required,
  probe: async () => {
    throw new Error(`${name} refused the connection`);
  },
});

describe('HealthController readiness', () => {
  it('stays ready when only a dependency that is not required is down, and says so', async () => {
    const { status, body } = await readiness([up('nats'), down('redis', false)]);
    expect(status).toBe(200);
    expect(body).toMatchObject({
      status: 'ok',
      details: {
        nats: { status: 'up' },
        redis: { required: false, reachable: false, message: 'redis refused the connection' },
      },
    });
  });

  it('is not ready when a required dependency is down', async () => {
    const { status, body } = await readiness([down('nats'), up('redis', false)]);
    expect(status).toBe(503);
    expect(body).toMatchObject({
      status: 'error',
      details: { nats: { status: 'down' }, redis: { required: false, reachable: true } },
    });
  });
});
