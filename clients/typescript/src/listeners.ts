/** A set of listeners of one kind of value: what every status, quality and snapshot subscription of the package uses. */
export class Listeners<T> {
  private readonly set = new Set<(value: T) => void>();

  /** Whether anyone listens (to skip building a value nobody reads). */
  get size(): number {
    return this.set.size;
  }

  /** Adds a listener; returns the function that removes it. */
  add(listener: (value: T) => void): () => void {
    this.set.add(listener);
    return () => {
      this.set.delete(listener);
    };
  }

  /** Calls every listener with `value`, in the order they were added. */
  emit(value: T): void {
    for (const listener of this.set) listener(value);
  }
}
