/**
 * Whether the slab pool asks for transparent huge pages (THP) for its mapped slabs. A cold read
 * touches the key's index slot and the entry in the arena at random addresses; with 4 KiB pages
 * each is likely a TLB miss, and under a hypervisor a miss walks two page tables. Slabs mapped
 * on a 2 MiB boundary and marked `madvise(MADV_HUGEPAGE)` are two huge pages each once touched.
 *
 * On by default where the kernel's THP mode is `always` or `madvise`
 * (`/sys/kernel/mm/transparent_hugepage/enabled`); `TIERCACHE_HUGEPAGES=off` turns it off. The
 * variable is read each time a slab is created, so one process can map both kinds.
 *
 * @module
 */
import { readFileSync } from 'node:fs';

/** Environment variable that, set to `off`, maps slabs with ordinary pages only. */
export const HUGE_PAGES_ENV = 'TIERCACHE_HUGEPAGES';

/** The kernel's THP mode, `always`, `madvise` or `never`, or `unknown` (no sysfs file). */
export type ThpMode = 'always' | 'madvise' | 'never' | 'unknown';

let mode: ThpMode | undefined;

/** The kernel's THP mode: the bracketed word of the sysfs file, read once. */
export function thpMode(): ThpMode {
  if (mode !== undefined) return mode;
  try {
    const text = readFileSync('/sys/kernel/mm/transparent_hugepage/enabled', 'utf8');
    const chosen = /\[(\w+)\]/.exec(text)?.[1];
    mode = chosen === 'always' || chosen === 'madvise' || chosen === 'never' ? chosen : 'unknown';
  } catch {
    mode = 'unknown';
  }
  return mode;
}

/** Whether a slab created now should ask for huge pages. */
export function hugePagesWanted(): boolean {
  if (process.env[HUGE_PAGES_ENV] === 'off') return false;
  const current = thpMode();
  return current === 'always' || current === 'madvise';
}
