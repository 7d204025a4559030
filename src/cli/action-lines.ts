/**
 * `-v` / `-i`: each action's itemized line as soon as it is done, in the plan's order, so that a real run prints the
 * same lines as its dry run and a user watching a long run sees it move. Actions of one batch finish in any order:
 * a line waits only for the actions planned before it (at most a batch in flight).
 */
import { describeAction, type Action, type Outcome, type Plan } from '../engine/index.js';

const PENDING = 0;
const PRINT = 1;
const SKIP = 2;

export class ActionLines {
  private readonly order = new Map<Action, number>();
  private readonly state: Uint8Array;
  private next = 0;

  constructor(private readonly plan: Plan, private readonly print: (line: string) => void) {
    plan.actions.forEach((a, i) => this.order.set(a, i));
    this.state = new Uint8Array(plan.actions.length);
  }

  /** A dry run: every line, as planned. */
  printAll(): void {
    for (const a of this.plan.actions) this.show(a);
  }

  /** An action's line; steps users never see (a move's staging) have none. */
  private show(a: Action): void {
    const line = describeAction(a);
    if (line !== undefined) this.print(line);
  }

  readonly outcome = (o: Outcome): void => {
    const i = this.order.get(o.action);
    if (i === undefined) return;
    this.state[i] = o.status === 'done' ? PRINT : SKIP;
    while (this.next < this.state.length && this.state[this.next] !== PENDING) {
      if (this.state[this.next] === PRINT) this.show(this.plan.actions[this.next] as Action);
      this.next++;
    }
  };

  /** The end of the run: lines still held behind an action that never ran (a stopped run) are printed. */
  finish(): void {
    for (; this.next < this.state.length; this.next++) {
      if (this.state[this.next] === PRINT) this.show(this.plan.actions[this.next] as Action);
    }
  }
}
