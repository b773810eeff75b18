/*
 * Given/When/Then for the domains' pure decide and evolve functions. Free of side effects (no
 * infrastructure, no environment): unit specs import it as `@app/testing/given-when-then`.
 *
 *   given(order('PENDING'))
 *     .after(moveBy, reserved())                     // the state after these events (optional)
 *     .when((o) => evolve(o, scheduled(), now))      // the decision under test
 *     .then({ kind: 'moved', order: { status: 'CONFIRMED' } });
 */

/** What `then` compares with: the result's shape, naming only what matters (nested, jest's matchers allowed). */
export type Expected<T> = T extends Date
  ? T
  : T extends readonly (infer U)[]
    ? readonly Expected<U>[]
    : T extends object
      ? { [K in keyof T]?: Expected<T[K]> }
      : T;

export interface Given<S> {
  /** The state after `events`, applied in turn by `apply` (an evolve that moves the state, or fails the test). */
  after<E>(apply: (state: S, event: E) => S, ...events: E[]): Given<S>;
  /** Decides on the state. */
  when<R>(decide: (state: S) => R): When<R>;
}

export interface When<R> {
  /**
   * Checks the result: against the expected shape (toMatchObject for an object, toEqual otherwise), or with a
   * function of the result. Returns the result, for further checks.
   */
  then(expected: Expected<R> | ((result: R) => void)): R;
}

export function given<S>(state: S): Given<S> {
  return {
    after: (apply, ...events) => given(events.reduce(apply, state)),
    when: <R>(decide: (state: S) => R): When<R> => {
      const result = decide(state);
      return {
        then(expected) {
          if (typeof expected === 'function') (expected as (result: R) => void)(result);
          else if (expected !== null && typeof expected === 'object' && !(expected instanceof Date)) expect(result).toMatchObject(expected);
          else expect(result).toEqual(expected);
          return result;
        },
      };
    },
  };
}
