/**
 * Minimal inline SVG line charts for the training report: no scripts, no external assets. Each series
 * carries its values in `data-series` / `data-values` attributes, so the chart is machine-checkable too.
 * @module
 */

/** One line of a chart. */
export interface ChartSeries {
  /** stable id written to `data-series` */
  id: string;
  label: string;
  color: string;
  points: readonly (readonly [number, number])[];
  dashed?: boolean;
}

/** A line chart: axes with ticks, one polyline per series, a legend. */
export interface LineChart {
  id: string;
  title: string;
  xLabel: string;
  yLabel: string;
  series: readonly ChartSeries[];
  /** log10 y axis (values <= 0 are dropped) */
  logY?: boolean;
  /** force the y axis to start at 0 (linear axes) */
  yFromZero?: boolean;
  width?: number;
  height?: number;
}

const MARGIN = { top: 28, right: 16, bottom: 42, left: 62 } as const;

/** Escapes text for HTML/SVG content and attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** Formats a number compactly: integers as they are, others with 4 significant digits. */
export function formatNumber(value: number): string {
  if (!Number.isFinite(value) || (Number.isInteger(value) && Math.abs(value) < 1e15)) return String(value);
  if (Math.abs(value) >= 1e6 || Math.abs(value) < 1e-3) return value.toExponential(2);
  return String(Number(value.toPrecision(4)));
}

/** About `count` round tick values covering [min, max]. */
export function niceTicks(min: number, max: number, count = 5): number[] {
  if (!(max > min)) return [min];
  const raw = (max - min) / count;
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  const step = ([1, 2, 5, 10].find((m) => m * magnitude >= raw) ?? 10) * magnitude;
  const ticks: number[] = [];
  for (let t = Math.ceil(min / step) * step; t <= max + step * 1e-9; t += step)
    ticks.push(Number(t.toPrecision(12)));
  return ticks;
}

/** Renders a {@link LineChart} as a standalone `<svg>` element. */
export function renderLineChart(chart: LineChart): string {
  const width = chart.width ?? 420;
  const height = chart.height ?? 260;
  const plotW = width - MARGIN.left - MARGIN.right;
  const plotH = height - MARGIN.top - MARGIN.bottom;
  const toY = (v: number): number => (chart.logY ? Math.log10(v) : v);
  const kept = chart.series.map((s) =>
    s.points.filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y) && (!chart.logY || y > 0)),
  );
  const xs = kept.flatMap((points) => points.map(([x]) => x));
  const ys = kept.flatMap((points) => points.map(([, y]) => toY(y)));
  let [xMin, xMax] = xs.length > 0 ? [Math.min(...xs), Math.max(...xs)] : [0, 1];
  let [yMin, yMax] = ys.length > 0 ? [Math.min(...ys), Math.max(...ys)] : [0, 1];
  if (chart.yFromZero && !chart.logY) yMin = Math.min(0, yMin);
  if (xMax === xMin) [xMin, xMax] = [xMin - 1, xMax + 1];
  if (yMax === yMin) [yMin, yMax] = [yMin - (Math.abs(yMin) || 1) * 0.1, yMax + (Math.abs(yMax) || 1) * 0.1];
  const px = (x: number): number => MARGIN.left + ((x - xMin) / (xMax - xMin)) * plotW;
  const py = (y: number): number => MARGIN.top + plotH - ((y - yMin) / (yMax - yMin)) * plotH;

  const parts: string[] = [];
  parts.push(
    `<svg xmlns="http://www.w3.org/2000/svg" id="${escapeHtml(chart.id)}" class="chart" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" role="img" aria-label="${escapeHtml(chart.title)}">`,
    `<title>${escapeHtml(chart.title)}</title>`,
    `<text x="${width / 2}" y="16" text-anchor="middle" class="chart-title">${escapeHtml(chart.title)}</text>`,
  );
  const yTicks = chart.logY
    ? niceTicks(
        Math.floor(yMin),
        Math.ceil(yMax),
        Math.max(1, Math.min(6, Math.ceil(yMax) - Math.floor(yMin))),
      ).filter((t) => Number.isInteger(t) && t >= yMin - 1e-9 && t <= yMax + 1e-9)
    : niceTicks(yMin, yMax);
  for (const t of yTicks) {
    const y = py(t).toFixed(1);
    const label = chart.logY ? formatNumber(10 ** t) : formatNumber(t);
    parts.push(
      `<line x1="${MARGIN.left}" x2="${MARGIN.left + plotW}" y1="${y}" y2="${y}" class="grid"/>`,
      `<text x="${MARGIN.left - 6}" y="${y}" text-anchor="end" dominant-baseline="middle" class="tick">${label}</text>`,
    );
  }
  const integerX = xs.every(Number.isInteger);
  for (const t of niceTicks(xMin, xMax, 6).filter((tick) => !integerX || Number.isInteger(tick))) {
    const x = px(t).toFixed(1);
    parts.push(
      `<line x1="${x}" x2="${x}" y1="${MARGIN.top + plotH}" y2="${MARGIN.top + plotH + 4}" class="axis"/>`,
      `<text x="${x}" y="${MARGIN.top + plotH + 16}" text-anchor="middle" class="tick">${formatNumber(t)}</text>`,
    );
  }
  parts.push(
    `<rect x="${MARGIN.left}" y="${MARGIN.top}" width="${plotW}" height="${plotH}" class="frame"/>`,
    `<text x="${MARGIN.left + plotW / 2}" y="${height - 6}" text-anchor="middle" class="axis-label">${escapeHtml(chart.xLabel)}</text>`,
    `<text transform="translate(14 ${MARGIN.top + plotH / 2}) rotate(-90)" text-anchor="middle" class="axis-label">${escapeHtml(chart.yLabel)}</text>`,
  );
  chart.series.forEach((series, i) => {
    const points = kept[i] ?? [];
    const path = points.map(([x, y]) => `${px(x).toFixed(1)},${py(toY(y)).toFixed(1)}`).join(' ');
    const values = JSON.stringify(points.map(([x, y]) => [x, y]));
    parts.push(
      `<g class="series" data-series="${escapeHtml(series.id)}" data-values="${escapeHtml(values)}">`,
      `<polyline points="${path}" fill="none" stroke="${escapeHtml(series.color)}" stroke-width="2"${series.dashed ? ' stroke-dasharray="5 4"' : ''}/>`,
      points.length <= 40
        ? points
            .map(
              ([x, y]) =>
                `<circle cx="${px(x).toFixed(1)}" cy="${py(toY(y)).toFixed(1)}" r="2.5" fill="${escapeHtml(series.color)}"/>`,
            )
            .join('')
        : '',
      '</g>',
    );
    const ly = MARGIN.top + 12 + i * 14;
    const lx = MARGIN.left + plotW - 8;
    parts.push(
      `<text x="${lx - 22}" y="${ly}" text-anchor="end" dominant-baseline="middle" class="legend">${escapeHtml(series.label)}</text>`,
      `<line x1="${lx - 18}" x2="${lx}" y1="${ly}" y2="${ly}" stroke="${escapeHtml(series.color)}" stroke-width="2"${series.dashed ? ' stroke-dasharray="5 4"' : ''}/>`,
    );
  });
  parts.push('</svg>');
  return parts.join('\n');
}
