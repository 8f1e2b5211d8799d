import type { LockManagerLike } from '../../src/sharing/election.js';

/**
 * The Web Locks semantics the election relies on, for one exclusive lock name at a time: FIFO grants, `signal` aborts a
 * queued request, `steal` takes the lock at once and rejects the holder's request with an AbortError. Node has no
 * `navigator.locks`; Chromium's real one is exercised by test/e2e/tabs.test.ts.
 */
export class MemoryLocks implements LockManagerLike {
  private holder = new Map<string, { reject: (error: Error) => void; released: boolean }>();
  private queues = new Map<string, Array<() => void>>();

  request(name: string, options: { steal?: boolean; signal?: AbortSignal }, callback: (lock: unknown) => unknown): Promise<unknown> {
    return new Promise((resolve, reject) => {
      const grant = () => {
        const held = { reject, released: false };
        this.holder.set(name, held);
        Promise.resolve()
          .then(() => callback({ name }))
          .then(
            (value) => {
              if (held.released) return;
              this.release(name, held);
              resolve(value);
            },
            (error: unknown) => {
              if (held.released) return;
              this.release(name, held);
              reject(error as Error);
            },
          );
      };
      if (options.steal) {
        const current = this.holder.get(name);
        if (current) {
          current.released = true;
          current.reject(Object.assign(new Error('The lock was stolen'), { name: 'AbortError' }));
        }
        grant();
        return;
      }
      if (!this.holder.has(name)) {
        grant();
        return;
      }
      const queue = this.queues.get(name) ?? [];
      this.queues.set(name, queue);
      queue.push(grant);
      options.signal?.addEventListener('abort', () => {
        const index = queue.indexOf(grant);
        if (index >= 0) {
          queue.splice(index, 1);
          reject(Object.assign(new Error('Aborted'), { name: 'AbortError' }));
        }
      });
    });
  }

  private release(name: string, held: { released: boolean }): void {
    held.released = true;
    if (this.holder.get(name) === held) this.holder.delete(name);
    if (this.holder.has(name)) return;
    this.queues.get(name)?.shift()?.();
  }
}
