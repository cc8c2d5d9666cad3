// esbuild plugins for the Lambda bundles (serverless.yml custom.esbuild.plugins).
// zod 4's `z` namespace re-exports every locale (`z.locales`), about 260 KB of the ~950 KB minified bundle,
// and esbuild cannot tree-shake a namespace re-export. We only use English messages (zod's default),
// so the locales index is replaced by English alone: a smaller bundle parses faster at cold start.
const path = require('node:path');

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

module.exports = [zodEnglishOnly];
