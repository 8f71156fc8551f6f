// One Jest run covers every project; the tiers are Jest projects so that
// `--selectProjects` picks a tier. Integration, hostile and resilience tiers need the backing
// services started by scripts/services.sh.
const swcTransform = [
  '@swc/jest',
  {
    jsc: {
      target: 'es2022',
      parser: { syntax: 'typescript', decorators: true },
      // Nest's dependency injection reads constructor parameter types from this metadata.
      transform: { legacyDecorator: true, decoratorMetadata: true },
      keepClassNames: true,
    },
    module: { type: 'commonjs' },
    sourceMaps: 'inline',
  },
];

const libs = [
  'auth',
  'config',
  'http',
  'messaging',
  'observability',
  'service',
  'storage',
  'telemetry',
  'testing',
];
const moduleNameMapper = Object.fromEntries(
  libs.map((lib) => [`^@iotwins/${lib}$`, `<rootDir>/libs/${lib}/src/index.ts`]),
);

const shared = {
  rootDir: __dirname,
  testEnvironment: 'node',
  transform: { '^.+\\.ts$': swcTransform },
  moduleNameMapper,
  moduleFileExtensions: ['ts', 'js', 'json'],
  testPathIgnorePatterns: ['/node_modules/', '/dist/'],
};

module.exports = {
  projects: [
    { ...shared, displayName: 'unit', testMatch: ['<rootDir>/{apps,libs}/*/src/**/*.spec.ts'] },
    {
      ...shared,
      displayName: 'integration',
      testMatch: [
        '<rootDir>/{apps,libs}/*/test/**/*.int-spec.ts',
        '<rootDir>/e2e/test/**/*.int-spec.ts',
      ],
      globalSetup: '<rootDir>/libs/testing/src/global-setup.ts',
      setupFiles: ['<rootDir>/libs/testing/src/load-local-env.setup.ts'],
      setupFilesAfterEnv: ['<rootDir>/libs/testing/src/integration-timeout.setup.ts'],
    },
    {
      ...shared,
      displayName: 'hostile',
      testMatch: ['<rootDir>/e2e/hostile/**/*.hostile-spec.ts'],
      globalSetup: '<rootDir>/libs/testing/src/global-setup.ts',
      setupFiles: ['<rootDir>/libs/testing/src/load-local-env.setup.ts'],
      setupFilesAfterEnv: ['<rootDir>/libs/testing/src/integration-timeout.setup.ts'],
    },
    {
      ...shared,
      displayName: 'resilience',
      testMatch: [
        '<rootDir>/{apps,libs}/*/test/**/*.resilience-spec.ts',
        '<rootDir>/e2e/test/**/*.resilience-spec.ts',
      ],
      setupFiles: ['<rootDir>/libs/testing/src/load-local-env.setup.ts'],
      setupFilesAfterEnv: ['<rootDir>/libs/testing/src/integration-timeout.setup.ts'],
    },
  ],
};
