/** Waits until `condition()` is true, polling every 10 ms; throws after `timeoutMs` with `what` in the message. */
export async function waitFor(condition: () => boolean, what: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** A unique BOM id per test. */
export function uniqueBomId(prefix: string): string {
  return `${prefix}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
}

/** `count` valid line items. */
export function lineItems(count: number): Array<{ mpn: string; manufacturer: string; quantity: number }> {
  return Array.from({ length: count }, (_, i) => ({ mpn: `PART-${i + 1}`, manufacturer: 'Test', quantity: 1 }));
}
