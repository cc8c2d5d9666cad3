/**
 * Import rules (DESIGN.md, STYLE.md): adapters -> src, never the reverse; src/ in layers, each folder
 * imported from outside only through its entry module (index.ts); only the store talks to S3.
 *
 * Layers, lowest first (a folder may import only folders listed before it):
 *   core -> kernels -> ranking, als -> artifact -> store, recommender -> api -> http -> serving
 */
const LAYERS = {
  core: [],
  kernels: ['core'],
  ranking: ['core', 'kernels'],
  als: ['core', 'kernels'],
  artifact: ['core', 'kernels', 'ranking', 'als'],
  store: ['core', 'artifact'],
  recommender: ['core', 'kernels', 'ranking', 'als', 'artifact'],
  api: ['core', 'recommender'],
  http: ['core', 'api'],
  serving: ['core', 'kernels', 'artifact', 'store', 'recommender', 'api', 'http'],
};

const layerRules = Object.entries(LAYERS).map(([layer, allowed]) => ({
  name: `layer-${layer}`,
  severity: 'error',
  comment: `src/${layer} may import only ${allowed.length ? allowed.map((l) => `src/${l}`).join(', ') : 'nothing else in src'}`,
  from: { path: `^src/${layer}/` },
  to: { path: '^src/', pathNot: [`^src/${layer}/`, ...allowed.map((l) => `^src/${l}/`)] },
}));

module.exports = {
  forbidden: [
    {
      name: 'src-is-transport-free',
      severity: 'error',
      comment: 'src/ must not import the adapters, training, deploy, bench, tools or tests',
      from: { path: '^src/' },
      to: { path: '^(handlers|container|training|deploy|bench|tools|test)/' },
    },
    {
      name: 'only-store-talks-to-s3',
      severity: 'error',
      comment: 'Only the model store in src/ talks to S3',
      from: { path: '^src/', pathNot: '^src/store/' },
      to: { path: '@aws-sdk/(client-s3|lib-storage)' },
    },
    ...layerRules,
    {
      name: 'folder-entry-only',
      severity: 'error',
      comment: 'Another src folder is imported through its index.ts only (kernels: the module of one kernel)',
      from: { path: '^src/([^/]+)/' },
      to: {
        path: '^src/[^/]+/',
        pathNot: ['^src/$1/', '^src/[^/]+/index\\.ts$', '^src/core/', '^src/kernels/'],
      },
    },
    {
      name: 'adapters-use-entries',
      severity: 'error',
      comment:
        'Code outside src/ (but tests) imports src folders through their index.ts (core and kernels: per module)',
      // Kernel micro-benchmarks measure internals on purpose, as tests do.
      from: {
        path: '^(handlers|container|training|deploy|bench|tools)/',
        pathNot: '^bench/(als-kernels|core)\\.ts$',
      },
      to: { path: '^src/[^/]+/', pathNot: ['^src/[^/]+/index\\.ts$', '^src/core/', '^src/kernels/'] },
    },
    {
      name: 'bench-independent-of-tests',
      severity: 'error',
      comment: 'Benchmarks run without the test code',
      from: { path: '^bench/' },
      to: { path: '^test/' },
    },
    { name: 'no-circular', severity: 'error', from: {}, to: { circular: true } },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default'],
    },
  },
};
