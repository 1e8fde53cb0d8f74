/**
 * redis-server's pqsort.c (NetBSD's qsort, Bentley and McIlroy, extended to sort only
 * what lands in a range), ported step for step: SORT with BY and LIMIT uses it, and the order it leaves elements that compare equal is
 * part of their replies. A full sort in redis-server is glibc's qsort, a stable merge
 * sort, which Array.prototype.sort matches.
 */

/** Sorts `v` enough that positions `from` to `to` (inclusive) hold what a full sort puts there. */
export function pqsort<T>(v: T[], cmp: (a: T, b: T) => number, from: number, to: number): void {
  sortPart(v, cmp, 0, v.length, from, to);
}

function swap<T>(v: T[], i: number, j: number): void {
  const t = v[i];
  v[i] = v[j];
  v[j] = t;
}

/** Swaps `n` elements from `i` with `n` from `j`, pairwise (vecswap). */
function swapRuns<T>(v: T[], i: number, j: number, n: number): void {
  for (let k = 0; k < n; k++) swap(v, i + k, j + k);
}

function insertionSort<T>(v: T[], cmp: (a: T, b: T) => number, a: number, n: number): void {
  for (let m = a + 1; m < a + n; m++) {
    for (let l = m; l > a && cmp(v[l - 1], v[l]) > 0; l--) swap(v, l, l - 1);
  }
}

function median3<T>(v: T[], cmp: (a: T, b: T) => number, a: number, b: number, c: number): number {
  return cmp(v[a], v[b]) < 0 ? (cmp(v[b], v[c]) < 0 ? b : cmp(v[a], v[c]) < 0 ? c : a) : cmp(v[b], v[c]) > 0 ? b : cmp(v[a], v[c]) < 0 ? a : c;
}

/** True when [a, a + n) does not meet the range asked for (_pqsort's pruning test). */
function outside(a: number, n: number, from: number, to: number): boolean {
  const last = a + n - 1;
  return (from < a && to < a) || (from > last && to > last);
}

/** _pqsort on v[a .. a + n). */
function sortPart<T>(v: T[], cmp: (a: T, b: T) => number, a: number, n: number, from: number, to: number): void {
  for (;;) {
    if (n < 7) return insertionSort(v, cmp, a, n);
    let pm = a + Math.floor(n / 2);
    if (n > 7) {
      let pl = a;
      let pn = a + n - 1;
      if (n > 40) {
        const d = Math.floor(n / 8);
        pl = median3(v, cmp, pl, pl + d, pl + 2 * d);
        pm = median3(v, cmp, pm - d, pm, pm + d);
        pn = median3(v, cmp, pn - 2 * d, pn - d, pn);
      }
      pm = median3(v, cmp, pl, pm, pn);
    }
    swap(v, a, pm);
    let pa = a + 1;
    let pb = pa;
    let pc = a + n - 1;
    let pd = pc;
    let swapped = false;
    for (;;) {
      let r = 0;
      while (pb <= pc && (r = cmp(v[pb], v[a])) <= 0) {
        if (r === 0) {
          swapped = true;
          swap(v, pa++, pb);
        }
        pb++;
      }
      while (pb <= pc && (r = cmp(v[pc], v[a])) >= 0) {
        if (r === 0) {
          swapped = true;
          swap(v, pc, pd--);
        }
        pc--;
      }
      if (pb > pc) break;
      swap(v, pb++, pc--);
      swapped = true;
    }
    if (!swapped) return insertionSort(v, cmp, a, n);
    const pn = a + n;
    let r = Math.min(pa - a, pb - pa);
    swapRuns(v, a, pb - r, r);
    r = Math.min(pd - pc, pn - pd - 1);
    swapRuns(v, pb, pn - r, r);
    r = pb - pa;
    if (r > 1 && !outside(a, r, from, to)) sortPart(v, cmp, a, r, from, to);
    r = pd - pc;
    if (r <= 1) return;
    // Iterate rather than recurse.
    a = pn - r;
    n = r;
    if (outside(a, n, from, to)) return;
  }
}
