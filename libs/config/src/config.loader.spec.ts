import { z } from 'zod';
import { ConfigError, loadConfig } from './config.loader';
import { baseEnvSchema, env } from './env.schemas';

const validBase = {
  AUTH_ISSUER: 'http://127.0.0.1:8080/realms/iotwins',
  NATS_URL: 'nats://127.0.0.1:4222',
  NATS_USER: 'ingest',
  NATS_PASSWORD: 'secret',
};

describe('loadConfig', () => {
  it('returns typed values with defaults applied', () => {
    const schema = baseEnvSchema.extend({ PORT: env.port(3001) });
    const config = loadConfig(schema, validBase);
    expect(config.PORT).toBe(3001);
    expect(config.LOG_LEVEL).toBe('info');
    expect(config.AUTH_AUDIENCE).toBe('iotwins-api');
    expect(config.READINESS_TIMEOUT_MS).toBe(2000);
  });

  it('coerces numbers given as strings', () => {
    const schema = z.object({ PORT: env.port(3001) });
    expect(loadConfig(schema, { PORT: '4000' }).PORT).toBe(4000);
  });

  it('reports every bad variable on its own line, naming it', () => {
    const schema = baseEnvSchema.extend({ PORT: env.port(3001) });
    let error: unknown;
    try {
      loadConfig(schema, {
        ...validBase,
        NATS_URL: 'http://wrong',
        PORT: '70000',
        NATS_USER: undefined,
      });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const problems = (error as ConfigError).problems;
    expect(problems).toHaveLength(3);
    expect(problems).toEqual(
      expect.arrayContaining([
        'NATS_URL: expected a URL with scheme nats or tls',
        'PORT: expected a TCP port number (1-65535)',
        expect.stringMatching(/^NATS_USER: missing; expected/),
      ]),
    );
  });

  it('never echoes the value of a bad variable, which may be a secret', () => {
    const schema = z.object({ NATS_URL: env.url(['nats']) });
    expect(() => loadConfig(schema, { NATS_URL: 'hunter2-secret' })).toThrow(
      /^Invalid configuration:\nNATS_URL: expected a URL with scheme nats$/,
    );
  });

  it('parses booleans strictly', () => {
    const schema = z.object({ FLAG: env.bool(false) });
    expect(loadConfig(schema, {}).FLAG).toBe(false);
    expect(loadConfig(schema, { FLAG: 'true' }).FLAG).toBe(true);
    expect(() => loadConfig(schema, { FLAG: 'yes' })).toThrow(/FLAG: expected true or false/);
  });
});

describe('the NATS login of a service', () => {
  const withoutPassword = { ...validBase, NATS_PASSWORD: undefined };

  it('takes a password or a credentials file', () => {
    expect(loadConfig(baseEnvSchema, validBase).NATS_PASSWORD).toBe('secret');
    const creds = loadConfig(baseEnvSchema, {
      ...withoutPassword,
      NATS_CREDS_FILE: '/etc/iotwins/nats/nats.creds',
    });
    expect(creds.NATS_CREDS_FILE).toBe('/etc/iotwins/nats/nats.creds');
    expect(creds.NATS_PASSWORD).toBeUndefined();
  });

  it('names NATS_PASSWORD when neither is given, with the other problems', () => {
    let error: unknown;
    try {
      loadConfig(baseEnvSchema.extend({ PORT: env.port(3001) }), {
        ...withoutPassword,
        PORT: 'x',
      });
    } catch (caught) {
      error = caught;
    }
    expect((error as ConfigError).problems).toEqual([
      'PORT: expected a TCP port number (1-65535)',
      'NATS_PASSWORD: missing; expected the NATS password of this service (or NATS_CREDS_FILE)',
    ]);
  });
});
