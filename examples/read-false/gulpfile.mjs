/**
 * The plugin with `read: false`: gulp.src only lists the files, and absync copies each from its path on disk,
 * skipping those whose size and mtime already match (the quick check), so nothing is read into memory.
 *
 *   npm run build && npx gulp --gulpfile examples/read-false/gulpfile.mjs mirror
 *
 * Everything it writes stays in examples/read-false/out/ (gulp runs it from this folder).
 */
import gulp from 'gulp';
import { absync } from 'gulp-absync';

export function mirror() {
  // resolveSymlinks: false keeps links as links (rsync -a); gulp 5 also fails on relative links otherwise
  // (gulpjs/gulp#2818).
  return gulp.src('../original/**', { read: false, dot: true, resolveSymlinks: false }).pipe(absync('out/mirror'));
}
mirror.description = 'Mirror ../original into out/mirror, copying files from disk (read: false)';

export default mirror;
