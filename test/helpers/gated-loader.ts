/**
 * A loader for tests that must act while a load is under way: `loading` resolves when the
 * loader is first called, and it answers (with `answer(keys)`) only once `release()` is called.
 */
export function gatedLoader(answer: (keys: string[]) => Array<string | undefined>) {
  let release!: () => void;
  const gate = new Promise<void>((resolve) => {
    release = resolve;
  });
  let started!: () => void;
  const loading = new Promise<void>((resolve) => {
    started = resolve;
  });
  const load = async (keys: string[]) => {
    started();
    await gate;
    return answer(keys);
  };
  return { load, loading, release };
}
