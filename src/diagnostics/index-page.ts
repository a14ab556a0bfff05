import type { HeapSamplerState } from './heap-profiler.ts';

/** The `/debug/pprof/` page: the endpoints, how to read them, and the sampler's caveats. */
export function renderIndexPage(prefix: string, sampler: HeapSamplerState): string {
  const since =
    sampler.inuseSince === undefined
      ? 'not running'
      : `since ${new Date(sampler.inuseSince).toISOString()}`;
  const link = (path: string, text: string) => `<a href="${prefix}${path}">${text}</a>`;
  return `<!doctype html>
<html><head><meta charset="utf-8"><title>tiercache diagnostics</title></head>
<body>
<h1>tiercache diagnostics</h1>
<ul>
<li>${link('/debug/pprof/heap', 'heap')}: in-use heap profile (inuse_space). <code>?gc=1</code> collects garbage first.
  In-use sampler: ${sampler.mode}, every ${sampler.intervalBytes} bytes on average, ${since}.</li>
<li>${link('/debug/pprof/allocs?seconds=10', 'allocs?seconds=N')}: every allocation over N seconds (alloc_space), collected objects included.</li>
<li>${link('/debug/pprof/profile?seconds=10', 'profile?seconds=N')}: CPU profile over N seconds.</li>
<li>${link('/debug/memstats', 'memstats')}: JSON report: process and V8 memory, GC, event-loop delay, active resources, live stores and caches.</li>
<li>${link('/metrics', 'metrics')}: the same figures in Prometheus text format.</li>
</ul>
<p>Read a profile with <code>go tool pprof -top http://HOST${prefix}/debug/pprof/heap</code>.
N is at most 60 (default 30); one profile runs at a time, a second request gets 409.</p>
<p><strong>Caveat:</strong> V8 has one heap sampler per process. An allocs window stops the in-use sampler and restarts
it when the window ends, so after one the heap profile shows only objects allocated since that restart.
The heap profile never sees objects allocated before the sampler started, and Buffer / typed-array
memory shows as one node without a stack: <code>/debug/memstats</code> names those bytes.</p>
</body></html>
`;
}
