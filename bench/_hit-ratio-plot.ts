/**
 * Writes the miss-ratio curves of bench/hit-ratio.ts as an SVG: one small panel per trace,
 * miss ratio against cache size (log scale), one line per cache. The SVG text is built here
 * directly: a plotting library would be a dependency for forty lines of markup.
 *
 * @module
 */

/** One line of a panel: a cache's miss ratio at each cache size. */
export interface Series {
  readonly label: string;
  readonly color: string;
  /** Miss ratios, one per size of {@link Panel.sizes}, in [0, 1]. */
  readonly missRatios: readonly number[];
}

/** One panel: a trace. */
export interface Panel {
  readonly title: string;
  /** Cache sizes in % of the working set, ascending. */
  readonly sizes: readonly number[];
  /** Tick labels for the sizes (default: `N%`); when given, the x axis is titled in entries. */
  readonly labels?: readonly string[];
  readonly series: readonly Series[];
}

const PANEL_WIDTH = 300;
const PANEL_HEIGHT = 210;
const MARGIN = { left: 48, right: 12, top: 28, bottom: 36 };
const COLUMNS = 3;

/** The SVG document for `panels`, with a title line and a legend. */
export function missRatioSvg(title: string, panels: readonly Panel[]): string {
  const rows = Math.ceil(panels.length / COLUMNS);
  const width = COLUMNS * PANEL_WIDTH;
  const legendExtra = (Math.ceil((panels[0]?.series.length ?? 0) / 7) - 1) * 14;
  const height = rows * PANEL_HEIGHT + 60 + Math.max(0, legendExtra);
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="system-ui, sans-serif" font-size="11">`,
    `<title>${escapeXml(title)}</title>`,
    `<rect width="${width}" height="${height}" fill="white"/>`,
    `<text x="${width / 2}" y="20" text-anchor="middle" font-size="14" font-weight="600">${escapeXml(title)}</text>`,
  ];
  const legend = panels[0]?.series ?? [];
  // Up to seven legend entries per line; more wrap onto a second line.
  legend.forEach((series, i) => {
    const x = 16 + (i % 7) * 125;
    const y = 38 + Math.floor(i / 7) * 14;
    out.push(
      `<line x1="${x}" y1="${y}" x2="${x + 24}" y2="${y}" stroke="${series.color}" stroke-width="2.5"/>`,
      `<text x="${x + 30}" y="${y + 4}">${escapeXml(series.label)}</text>`,
    );
  });
  panels.forEach((panel, i) => {
    const left = (i % COLUMNS) * PANEL_WIDTH;
    const top = 50 + Math.max(0, legendExtra) + Math.floor(i / COLUMNS) * PANEL_HEIGHT;
    out.push(panelSvg(panel, left, top));
  });
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}

function panelSvg(panel: Panel, left: number, top: number): string {
  const x0 = left + MARGIN.left;
  const x1 = left + PANEL_WIDTH - MARGIN.right;
  const y0 = top + PANEL_HEIGHT - MARGIN.bottom;
  const y1 = top + MARGIN.top;
  const all = panel.series.flatMap((s) => s.missRatios);
  // The y range: from a round tenth below the lowest ratio to a round tenth above the highest.
  const low = Math.max(0, Math.floor(Math.min(...all) * 10 - 0.5) / 10);
  const high = Math.min(1, Math.ceil(Math.max(...all) * 10 + 0.5) / 10);
  const logMin = Math.log(panel.sizes[0]!);
  const logMax = Math.log(panel.sizes[panel.sizes.length - 1]!);
  const x = (size: number) =>
    logMax === logMin
      ? (x0 + x1) / 2
      : x0 + ((Math.log(size) - logMin) / (logMax - logMin)) * (x1 - x0);
  const y = (ratio: number) => y0 - ((ratio - low) / (high - low || 1)) * (y0 - y1);
  const out: string[] = [
    `<g>`,
    `<text x="${(x0 + x1) / 2}" y="${top + 16}" text-anchor="middle" font-weight="600">${escapeXml(panel.title)}</text>`,
    `<rect x="${x0}" y="${y1}" width="${x1 - x0}" height="${y0 - y1}" fill="none" stroke="#999"/>`,
  ];
  // Gridlines at a round step giving four to ten of them.
  const step = [0.01, 0.02, 0.05, 0.1, 0.2].find((candidate) => (high - low) / candidate <= 10)!;
  for (let tick = Math.ceil(low / step - 1e-9) * step; tick <= high + 1e-9; tick += step) {
    out.push(
      `<line x1="${x0}" y1="${y(tick).toFixed(1)}" x2="${x1}" y2="${y(tick).toFixed(1)}" stroke="#eee"/>`,
      `<text x="${x0 - 4}" y="${(y(tick) + 4).toFixed(1)}" text-anchor="end">${tick.toFixed(2)}</text>`,
    );
  }
  panel.sizes.forEach((size, i) => {
    const label = panel.labels?.[i] ?? `${size}%`;
    out.push(`<text x="${x(size).toFixed(1)}" y="${y0 + 14}" text-anchor="middle">${label}</text>`);
  });
  const axis = panel.labels ? 'entries held (log)' : 'cache size (% of working set, log)';
  out.push(
    `<text x="${(x0 + x1) / 2}" y="${y0 + 30}" text-anchor="middle" fill="#555">${axis}</text>`,
    `<text transform="translate(${left + 12} ${(y0 + y1) / 2}) rotate(-90)" text-anchor="middle" fill="#555">miss ratio</text>`,
  );
  for (const series of panel.series) {
    const points = series.missRatios
      .map((ratio, i) => `${x(panel.sizes[i]!).toFixed(1)},${y(ratio).toFixed(1)}`)
      .join(' ');
    out.push(
      `<polyline points="${points}" fill="none" stroke="${series.color}" stroke-width="2"/>`,
      ...series.missRatios.map(
        (ratio, i) =>
          `<circle cx="${x(panel.sizes[i]!).toFixed(1)}" cy="${y(ratio).toFixed(1)}" r="2.5" fill="${series.color}"/>`,
      ),
    );
  }
  out.push('</g>');
  return out.join('\n');
}

function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}
