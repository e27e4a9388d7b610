/**
 * Keeps attribute values to a bounded set: the first `max` distinct values pass, later ones become
 * `other`, so a client calling arbitrary method names cannot blow up a metrics backend.
 */
export class BoundedValues {
  private readonly seen = new Set<string>();
  constructor(private readonly max: number) {}

  get(value: string | undefined): string {
    if (value === undefined || value === '') return 'unknown';
    if (this.seen.has(value)) return value;
    if (this.seen.size >= this.max) return 'other';
    this.seen.add(value);
    return value;
  }
}
