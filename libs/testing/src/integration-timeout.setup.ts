// Integration specs talk to real servers (Keycloak token requests, JetStream, InfluxDB);
// a per-project testTimeout is not honoured by Jest, so each tier sets its own here.
jest.setTimeout(Number(process.env.TEST_TIMEOUT_MS ?? 60_000));
