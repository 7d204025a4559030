/**
 * What each action kind means to a user, in one table: the Summary's counter, the gulp plugin's per-file tag, the
 * move it reports, and its itemized line (dry runs, -v, like rsync's --itemize-changes). A new action kind is a
 * compile error here until it says what users see.
 */
import type { Action, ActionOp, RelPath } from './types.js';

/** The Summary counter an action adds to when it is done; undefined for internal steps (staging a move). */
export type Counter = 'copied' | 'updated' | 'deleted' | 'moved' | 'created' | 'attrs';

/** The plugin's tag for the path an action writes; undefined when the action only clears the way for another. */
export type Tag = 'copied' | 'updated' | 'moved' | 'created' | 'attrs';

interface Kind<A extends Action> {
  counter(a: A): Counter | undefined;
  tag(a: A): Tag | undefined;
  /** The move a done action reports (`from -> to`), if it is one. */
  move?(a: A): { from: RelPath; to: RelPath };
  /** The itemized line; undefined for steps users never see. */
  line(a: A): string | undefined;
}

const show = (path: RelPath): string => (path === '' ? '.' : path);

const KINDS: { readonly [K in ActionOp]: Kind<Extract<Action, { op: K }>> } = {
  mkdir: { counter: () => 'created', tag: () => 'created', line: (a) => `mkdir   ${show(a.path)}/` },
  copy: { counter: () => 'copied', tag: () => 'copied', line: (a) => `create  ${show(a.path)} (${a.source.size} bytes)` },
  update: { counter: () => 'updated', tag: () => 'updated', line: (a) => `update  ${show(a.path)} (${a.reason}, ${a.source.size} bytes)` },
  rename: {
    counter: () => 'moved',
    tag: () => 'moved',
    move: (a) => ({ from: a.from, to: a.path }),
    line: (a) => `move    ${show(a.from)} => ${show(a.path)}`,
  },
  stage: { counter: () => undefined, tag: () => undefined, line: () => undefined },
  unstage: {
    counter: () => 'moved',
    tag: () => 'moved',
    move: (a) => ({ from: a.origin, to: a.path }),
    line: (a) => `move    ${show(a.origin)} => ${show(a.path)}`,
  },
  // A delete at a path the source still has only clears the way for what replaces it: the replacement is the tag.
  delete: {
    counter: () => 'deleted',
    tag: () => undefined,
    line: (a) => `delete  ${show(a.path)}${a.expect.kind === 'dir' ? '/' : ''}${a.reason === 'type' ? ' (type changed)' : ''}`,
  },
  symlink: {
    counter: (a) => (a.expect ? 'updated' : 'copied'),
    tag: (a) => (a.expect ? 'updated' : 'copied'),
    line: (a) => `${a.expect ? 'relink ' : 'symlink'} ${show(a.path)} -> ${a.target}`,
  },
  setAttrs: { counter: () => 'attrs', tag: () => 'attrs', line: (a) => `attrs   ${show(a.path)}${a.kind === 'dir' ? '/' : ''} (${a.reason})` },
};

function kindOf<A extends Action>(a: A): Kind<A> {
  return KINDS[a.op] as unknown as Kind<A>;
}

export function counterOf(a: Action): Counter | undefined {
  return kindOf(a).counter(a);
}

export function tagOf(a: Action): Tag | undefined {
  return kindOf(a).tag(a);
}

export function moveOf(a: Action): { from: RelPath; to: RelPath } | undefined {
  return kindOf(a).move?.(a);
}

/** One line per action, itemized; undefined for internal steps that users never see (staging a move). */
export function describeAction(a: Action): string | undefined {
  return kindOf(a).line(a);
}
