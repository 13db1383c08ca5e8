/**
 * Runs `fn` over `items`, at most `concurrency` at a time, calling `onDone` as each finishes;
 * results come back in finishing order. `fn` must not throw: callers report failures as results,
 * so that one item failing never stops the others.
 */
export async function mapPool<T, R>(
  items: readonly T[],
  concurrency: number,
  fn: (item: T) => Promise<R>,
  onDone?: (result: R, done: number, total: number) => void,
): Promise<R[]> {
  const results: R[] = [];
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const result = await fn(items[next++] as T);
      results.push(result);
      onDone?.(result, results.length, items.length);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, concurrency) }, worker));
  return results;
}
