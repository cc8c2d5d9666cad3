// esbuild plugins for the Lambda bundles (serverless.yml custom.esbuild.plugins).
const path = require('node:path');

// zod 4's `z` namespace re-exports every locale (`z.locales`), about 260 KB of the ~950 KB minified bundle,
// and esbuild cannot tree-shake a namespace re-export. We only use English messages (zod's default),
// so the locales index is replaced by English alone: a smaller bundle parses faster at cold start.
const zodEnglishOnly = {
  name: 'zod-english-only',
  setup(build) {
    build.onLoad({ filter: /[\\/]zod[\\/]v4[\\/]locales[\\/]index\.js$/ }, (args) => ({
      contents: 'export { default as en } from "./en.js";',
      resolveDir: path.dirname(args.path),
      loader: 'js',
    }));
  },
};

// An ES module that imports `node:http` makes Node build the module's ESM facade, which reads every
// export, including the lazy getters that load the bundled undici (Node 22: ~130 ms of a ~450 ms code
// init, measured by bench/lambda.ts). The AWS SDK's HTTP handler imports it that way. Importing it through
// `require` (the bundle's banner provides one) hands over the module object without touching those getters.
const HTTP_BUILTINS = /^(node:)?https?$/;
const builtinsThroughRequire = {
  name: 'http-builtins-through-require',
  setup(build) {
    build.onResolve({ filter: HTTP_BUILTINS }, (args) =>
      args.namespace === 'builtin-through-require'
        ? { path: `node:${args.path.replace(/^node:/, '')}`, external: true }
        : { path: args.path.replace(/^node:/, ''), namespace: 'builtin-through-require' },
    );
    build.onLoad({ filter: /.*/, namespace: 'builtin-through-require' }, (args) => ({
      contents: `module.exports = require(${JSON.stringify(`node:${args.path}`)});`,
      loader: 'js',
    }));
  },
};

module.exports = [zodEnglishOnly, builtinsThroughRequire];
