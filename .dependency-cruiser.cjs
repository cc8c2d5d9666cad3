/** Import direction rules (DESIGN.md): adapters -> src, never the reverse; only the store talks to S3. */
module.exports = {
  forbidden: [
    {
      name: 'src-is-transport-free',
      severity: 'error',
      comment: 'src/ must not import the adapters, training, deploy or bench code',
      from: { path: '^src/' },
      to: { path: '^(handlers|container|training|deploy|bench)/' },
    },
    {
      name: 'only-store-talks-to-s3',
      severity: 'error',
      comment: 'Only the model store module in src/ talks to S3',
      from: { path: '^src/', pathNot: '^src/store/' },
      to: { path: '@aws-sdk/(client-s3|lib-storage)' },
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
