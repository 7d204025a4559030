/**
 * The CommonJS entry (`require('gulp-absync')`, and the TypeScript loaders that compile `import` to `require`:
 * esbuild-register, ts-node). The package is an ES module, and its dependencies p-limit and through2 are too, so
 * there is no CommonJS build to give: this entry loads the ES module with Node's `require(esm)`, unflagged since
 * Node 20.19 and 22.12. Elsewhere it says so in one line instead of Node's ERR_REQUIRE_ESM.
 *
 * What `require()` returns is the plugin itself, carrying every named export, as gulp plugins usually are:
 * `const absync = require('gulp-absync')` and `const { absync, absyncTask } = require('gulp-absync')` both work.
 */
type Api = typeof import('./index.js');

function load(): Api {
  try {
    return require('./index.js') as Api;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== 'ERR_REQUIRE_ESM') throw err;
    throw new Error(
      `gulp-absync is an ES module: require('gulp-absync') needs Node 20.19+ or 22.12+, which can require() one (this is Node ${process.versions.node}). ` +
        'Upgrade Node, or load it with import (a gulpfile.mjs, or "type": "module" in package.json).',
    );
  }
}

const api = load();

/** `require('gulp-absync')(dest, options)`: the gulp plugin, as `absync(dest, options)`. */
function gulpAbsync(...args: Parameters<Api['absync']>): ReturnType<Api['absync']> {
  return api.absync(...args);
}

// Named exports as properties; `__esModule` makes transpiled `import absync from` take `default` (the plugin).
module.exports = Object.defineProperties(gulpAbsync, {
  ...Object.fromEntries(Object.keys(api).map((name) => [name, { value: api[name as keyof Api], enumerable: true }])),
  __esModule: { value: true },
});
