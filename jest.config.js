/**
 * Two projects: `unit` (pure logic: no Azurite, no simulated tenant, no child process; `npm run test:unit`)
 * and `integration` (real SDK clients against Azurite and the simulated tenant, CLI processes;
 * `npm run test:integration`). `npm test` runs both. A test file is integration unless it is listed here.
 */
const UNIT_FOLDERS = [
  'architecture/',
  'auth/',
  'common/',
  'config/',
  'export/',
  'infra/',
  'packaging/',
  'sources/',
  'tenants/',
];
const UNIT_FILES = [
  'cli/exportBlobName.test.ts',
  'cli/statusReport.test.ts',
  'functions/contextLogger.test.ts',
  'local/simulator/incidentListing.test.ts',
  'local/simulator/incidentStore.test.ts',
  'local/simulator/timestamp.test.ts',
  'runtime/exporterRuntime.test.ts',
];

const escape = (text) => text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
const common = { preset: 'ts-jest', testEnvironment: 'node', roots: ['<rootDir>/test'] };

/** @type {import('jest').Config} */
module.exports = {
  // A global option (projects cannot set it): generous, since integration suites start servers and processes.
  testTimeout: 60000,
  // Integration suites each start Azurite and a simulated tenant; two workers fit this 2-core machine.
  maxWorkers: 2,
  projects: [
    {
      ...common,
      displayName: 'unit',
      testMatch: [
        ...UNIT_FOLDERS.map((folder) => `<rootDir>/test/${folder}**/*.test.ts`),
        ...UNIT_FILES.map((file) => `<rootDir>/test/${file}`),
      ],
    },
    {
      ...common,
      displayName: 'integration',
      testMatch: ['<rootDir>/test/**/*.test.ts'],
      testPathIgnorePatterns: [
        '/node_modules/',
        ...UNIT_FOLDERS.map((folder) => `/test/${escape(folder)}`),
        ...UNIT_FILES.map((file) => `/test/${escape(file)}$`),
      ],
    },
  ],
};
