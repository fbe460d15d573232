import { useCallback, useState } from "react";

/**
 * A vanilla-client call's state (pending, error) kept in the component, for calls that send or
 * return a value and so never go through useMutation (the rules in trpc.ts). `run` resolves to
 * the result, or to undefined once the error is kept for an ErrorNotice.
 */
export function useCall() {
  const [pending, setPending] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const run = useCallback(async <T>(call: () => Promise<T>): Promise<T | undefined> => {
    setPending(true);
    setError(null);
    try {
      return await call();
    } catch (e) {
      setError(e);
      return undefined;
    } finally {
      setPending(false);
    }
  }, []);
  return { pending, error, run };
}
