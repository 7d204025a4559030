/**
 * A CommonJS gulpfile: require('gulp-absync') gives the plugin itself, with the other exports as its properties
 * (Node 20.19+ / 22.12+). Exported absyncTasks are gulp tasks under their export names.
 *
 *   npm run build && npx gulp --gulpfile examples/commonjs/gulpfile.cjs --tasks
 *   npx gulp --gulpfile examples/commonjs/gulpfile.cjs staging production
 *
 * Everything it writes stays in examples/commonjs/out/ (gulp runs it from this folder).
 */
const gulp = require('gulp');
const absync = require('gulp-absync');
const { absyncTask } = require('gulp-absync');

exports.staging = absyncTask({ source: '../original', destination: 'out/staging' });
exports.production = absyncTask({ source: '../original', destination: 'out/production', maxDelete: 10 });

exports.plugin = function plugin() {
  return gulp.src('../original/**', { dot: true, encoding: false, resolveSymlinks: false }).pipe(absync('out/plugin'));
};
exports.plugin.description = 'Mirror ../original into out/plugin through the plugin';
