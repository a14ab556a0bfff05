// The dashboard's client: polls the node's JSON API once a second and draws the charts with
// uPlot (served from node_modules). No framework, no build step: the page must open anywhere.
/* global uPlot */
const MiB = 1024 * 1024;
const $ = (id) => document.getElementById(id);

function formatBytes(bytes) {
  if (bytes >= 1024 * MiB) return `${(bytes / 1024 / MiB).toFixed(2)} GiB`;
  if (bytes >= MiB) return `${(bytes / MiB).toFixed(1)} MiB`;
  if (bytes >= 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  return `${bytes} B`;
}

// Opened from another machine, the page needs the node's DEBUG_TOKEN: pass it as ?token=.
const token = new URLSearchParams(location.search).get('token');

async function api(path, body) {
  const headers = token ? { authorization: `Bearer ${token}` } : {};
  const init =
    body === undefined
      ? { headers }
      : {
          method: 'POST',
          headers: { ...headers, 'content-type': 'application/json' },
          body: JSON.stringify(body),
        };
  const res = await fetch(path, init);
  const json = await res.json();
  if (!res.ok) throw new Error(json.error?.message ?? res.statusText);
  return json;
}

// Where RSS goes, bottom to top; the derived remainder (what nothing names) last, in red.
const RSS_SLICES = [
  { label: 'file-backed', stroke: '#6b7689', keys: ['file'] },
  { label: 'JS heap', stroke: '#f0c04b', keys: ['jsHeap'] },
  { label: 'V8 free pages', stroke: '#b8963a', keys: ['v8PagePool'] },
  { label: 'stores', stroke: '#5aa0ff', keys: ['stores'] },
  {
    label: 'Buffers, chunk pool, external',
    stroke: '#c77dff',
    keys: ['chunkPool', 'otherBuffers', 'otherExternal'],
  },
  { label: 'V8 + native malloc', stroke: '#3fb68b', keys: ['v8Malloced', 'nativeMalloc'] },
  { label: 'allocator-retained', stroke: '#ff9f43', keys: ['allocatorRetained'] },
  { label: 'unexplained (derived)', stroke: '#e0574f', keys: ['unattributed'] },
];
const sliceBytes = (s, slice) =>
  s.rssSlices ? slice.keys.reduce((sum, key) => sum + (s.rssSlices[key] ?? 0), 0) : null;
// Stacked by hand: each series is the running total up to its slice, drawn top slice first so
// every fill to zero is painted over by the slices below it; the legend shows the slice itself.
const stackedRss = RSS_SLICES.map((slice, i) => ({
  label: slice.label,
  stroke: slice.stroke,
  fill: `${slice.stroke}cc`,
  value: (s) =>
    s.rssSlices
      ? RSS_SLICES.slice(0, i + 1).reduce((sum, below) => sum + sliceBytes(s, below), 0) / MiB
      : null,
  own: (s) => {
    const bytes = sliceBytes(s, slice);
    return bytes === null ? null : bytes / MiB;
  },
})).reverse();

const CHARTS = [
  {
    id: 'chart-rss',
    series: stackedRss,
  },
  {
    id: 'chart-loop',
    series: [
      { label: 'p50 ms', stroke: '#3fb68b', value: (s) => s.loopDelayMs?.p50 ?? null },
      { label: 'p99 ms', stroke: '#f0c04b', value: (s) => s.loopDelayMs?.p99 ?? null },
      { label: 'max ms', stroke: '#e0574f', value: (s) => s.loopDelayMs?.max ?? null },
    ],
  },
  {
    id: 'chart-memory',
    series: [
      { label: 'rss', stroke: '#5aa0ff', value: (s) => s.rss / MiB },
      { label: 'JS heap', stroke: '#f0c04b', value: (s) => s.heapUsed / MiB },
      { label: 'external', stroke: '#c77dff', value: (s) => s.external / MiB },
      { label: 'arrayBuffers', stroke: '#3fb68b', value: (s) => s.arrayBuffers / MiB },
    ],
  },
  {
    id: 'chart-stores',
    series: [
      {
        label: 'reserved',
        stroke: '#e0574f',
        fill: '#e0574f22',
        value: (s) => s.storeReserved / MiB,
      },
    ],
  },
  {
    id: 'chart-rooms',
    series: [
      { label: 'live rooms', stroke: '#5aa0ff', value: (s) => s.liveRooms },
      { label: 'rooms with own cache', stroke: '#e0574f', value: (s) => s.ownCaches },
    ],
  },
  {
    id: 'chart-hit',
    range: [0, 1],
    series: [{ label: 'hit ratio', stroke: '#3fb68b', value: (s) => s.hitRatio }],
  },
  {
    id: 'chart-gc',
    series: [{ label: 'GC pause ms/s', stroke: '#f0c04b', value: (s) => s.gcPauseMs }],
  },
  {
    id: 'chart-mps',
    series: [{ label: 'messages/s', stroke: '#c77dff', value: (s) => s.messagesPerSecond }],
  },
];

const samples = [];
const plots = CHARTS.map((chart) => {
  const el = $(chart.id);
  const opts = {
    width: Math.max(280, el.clientWidth - 16),
    height: 180,
    scales: { x: { time: true }, y: chart.range ? { range: chart.range } : { auto: true } },
    axes: [
      { stroke: '#8a94a8', grid: { stroke: '#2a3140' } },
      { stroke: '#8a94a8', grid: { stroke: '#2a3140' }, size: 50 },
    ],
    series: [
      {},
      ...chart.series.map((s) => ({
        label: s.label,
        stroke: s.stroke,
        fill: s.fill,
        width: 1.5,
        // A stacked series shows its own slice in the legend, not the running total.
        ...(s.own
          ? {
              value: (_u, _v, _si, idx) => {
                const sample = idx === null ? undefined : samples[idx];
                const own = sample === undefined ? null : s.own(sample);
                return own === null ? '–' : `${own.toFixed(1)} MiB`;
              },
            }
          : {}),
      })),
    ],
  };
  return new uPlot(opts, [[], ...chart.series.map(() => [])], el);
});

function redraw() {
  const xs = samples.map((s) => s.t / 1000);
  CHARTS.forEach((chart, i) => {
    plots[i].setData([xs, ...chart.series.map((series) => samples.map(series.value))]);
  });
  $('charts').dataset.samples = String(samples.length);
}

async function pollMetrics() {
  const since = samples.length === 0 ? 0 : samples[samples.length - 1].t;
  const fresh = await api(`/api/metrics?since=${since}`);
  samples.push(...fresh);
  if (samples.length > 300) samples.splice(0, samples.length - 300);
  if (fresh.length > 0) redraw();
  const last = samples[samples.length - 1];
  if (last) {
    $('fig-rooms').textContent = String(last.liveRooms);
    $('fig-stores').textContent = String(last.stores);
    $('fig-reserved').textContent = formatBytes(last.storeReserved);
    $('fig-rss').textContent = formatBytes(last.rss);
    if (typeof last.rssNamedShare === 'number') {
      $('fig-named').textContent = `${Math.floor(last.rssNamedShare * 100)} % of RSS`;
    }
    $('fig-hit').textContent =
      last.hitRatio === null ? '–' : `${(last.hitRatio * 100).toFixed(1)} %`;
    $('fig-mps').textContent = last.messagesPerSecond.toFixed(0);
  }
}

function renderWarnings(warnings) {
  const box = $('warnings');
  box.replaceChildren(
    ...warnings.map((w) => {
      const div = document.createElement('div');
      div.className = 'warning';
      div.dataset.code = w.code;
      const code = document.createElement('code');
      code.textContent = w.code;
      div.append(code, ` ${new Date(w.at).toLocaleTimeString()} — ${w.message}`);
      return div;
    }),
  );
}

async function pollState() {
  const state = await api('/api/state');
  $('node').textContent =
    `${state.node} · ${state.nodes.length} node(s) · ${state.redis ? 'memory → Redis → SQLite' : 'memory → SQLite'}`;
  $('fig-mode').textContent = state.mode === 'shared' ? 'shared (the fix)' : 'per room (the bug)';
  for (const button of document.querySelectorAll('.switch button')) {
    button.setAttribute('aria-pressed', String(button.dataset.mode === state.mode));
  }
  const scale = state.bugScale;
  $('scale-note').textContent =
    `Bug mode builds, for every new room, its own eagerly preallocated MemoryStore and TieredCache, ` +
    `as the story's Init() built a 1024-shard bigcache (${formatBytes(scale.originalBytes)}) per room. ` +
    `Scaled down so the demo stays safe on a 24 GiB machine: ${formatBytes(scale.storeBytes)} per room, ` +
    `at most ${state.ownCaches.maxOwn} rooms (${formatBytes(scale.storeBytes * state.ownCaches.maxOwn)}); ` +
    `rooms past that share the cache.`;
  const progress = state.load.progress;
  $('load-status').textContent = progress
    ? `running ${Math.round(progress.elapsedMs / 1000)} / ${Math.round(progress.durationMs / 1000)} s · ${progress.actions} actions · ${progress.roomsTouched} rooms`
    : state.load.last
      ? `done: ${Math.round(state.load.last.actionsPerSecond)} actions/s, p99 ${state.load.last.latencyMs.p99.toFixed(1)} ms`
      : 'idle';
  renderWarnings(state.warnings);
}

async function pollStores() {
  const stores = await api('/api/stores');
  stores.sort((a, b) => b.reservedBytes - a.reservedBytes);
  $('stores-count').textContent = `${stores.length} live, largest first`;
  const rows = stores.slice(0, 15).map((s) => {
    const tr = document.createElement('tr');
    const cells = [
      s.name,
      String(s.size),
      formatBytes(s.usedBytes),
      formatBytes(s.reservedBytes),
      s.createdBy,
    ];
    cells.forEach((text, i) => {
      const td = document.createElement('td');
      td.textContent = text;
      if (i === 4) td.className = 'created';
      tr.append(td);
    });
    return tr;
  });
  $('stores').tBodies[0].replaceChildren(...rows);
}

function every(ms, fn) {
  const tick = () => fn().catch((error) => console.warn(error));
  tick();
  setInterval(tick, ms);
}

for (const button of document.querySelectorAll('.switch button')) {
  button.addEventListener('click', () =>
    api('/api/mode', { mode: button.dataset.mode }).then(pollState),
  );
}
$('load-start').addEventListener('click', () => {
  const body = {
    action: 'start',
    rooms: Number($('load-rooms').value),
    bots: Number($('load-bots').value),
    seconds: Number($('load-seconds').value),
    churnMs: Number($('load-churn').value),
  };
  api('/api/load', body)
    .then(pollState)
    .catch((error) => {
      $('load-status').textContent = error.message;
    });
});
$('full-gc').addEventListener('click', () => api('/api/gc', {}));
$('load-stop').addEventListener('click', () =>
  api('/api/load', { action: 'stop' }).then(pollState),
);
window.addEventListener('resize', () => {
  plots.forEach((plot, i) => {
    plot.setSize({ width: Math.max(280, $(CHARTS[i].id).clientWidth - 16), height: 180 });
  });
});

if (token) {
  for (const link of document.querySelectorAll('.links a')) {
    const url = new URL(link.href);
    url.searchParams.set('token', token);
    link.href = url.toString();
  }
}

every(1000, pollMetrics);
every(1000, pollState);
every(2000, pollStores);
