/**
 * The candidate closest to a name nobody has, with why it is close, for error messages that say
 * what was probably meant: the same name in another case, the same service in another package,
 * or a few edits away (at most a third of the name). Undefined when nothing is that close.
 */
export function nearestName(name: string, candidates: Iterable<string>): { readonly name: string; readonly why: string } | undefined {
  const lower = name.toLowerCase();
  const tail = packageless(name);
  let best: string | undefined;
  let bestDistance = Infinity;
  let otherPackage: string | undefined;
  for (const candidate of candidates) {
    if (candidate.toLowerCase() === lower) return { name: candidate, why: 'the case differs' };
    if (otherPackage === undefined && packageless(candidate) === tail) otherPackage = candidate;
    const distance = editDistance(lower, candidate.toLowerCase());
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  if (otherPackage !== undefined) return { name: otherPackage, why: 'the package differs' };
  if (best === undefined || bestDistance > Math.max(2, Math.floor(name.length / 3))) return undefined;
  return { name: best, why: `${bestDistance} ${bestDistance === 1 ? 'edit' : 'edits'} away` };
}

/** The candidates, nearest to `name` first (by edit distance, ignoring case). */
export function byDistance(name: string, candidates: Iterable<string>): string[] {
  const lower = name.toLowerCase();
  return Array.from(candidates, (c) => ({ c, d: editDistance(lower, c.toLowerCase()) }))
    .sort((a, b) => a.d - b.d)
    .map((x) => x.c);
}

/** `/shop.v1.Inventory/GetItem` → `Inventory/GetItem`; `shop.v1.Inventory` → `Inventory`. */
function packageless(name: string): string {
  const slash = name.indexOf('/', 1);
  const service = slash > 0 ? name.slice(name.startsWith('/') ? 1 : 0, slash) : name;
  return service.slice(service.lastIndexOf('.') + 1) + (slash > 0 ? name.slice(slash) : '');
}

/** Levenshtein distance (insertions, deletions and substitutions), two rows at a time. */
function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitution = previous[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1);
      current[j] = Math.min(previous[j] + 1, current[j - 1] + 1, substitution);
    }
    previous = current;
  }
  return previous[b.length];
}
