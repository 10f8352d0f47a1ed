// The code generator and the cohort text/tree conversions are pure TypeScript:
// ts-jest runs them in node, without a browser or JupyterLab.
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/src'],
  testRegex: '__tests__/.*\\.spec\\.ts$',
  transform: { '^.+\\.tsx?$': ['ts-jest', { tsconfig: 'tsconfig.test.json' }] },
  modulePathIgnorePatterns: ['<rootDir>/lib', '<rootDir>/../jupyter_dataproduct/labextension']
};
