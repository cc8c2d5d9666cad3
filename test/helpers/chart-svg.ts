/**
 * Reads back what a Vega-rendered line chart shows, from its SVG text: the points of each series (from
 * the points' `aria-label`s), the lines drawn, the plot area and where the legend sits.
 */

/** One point's label: `x title: x; y title: y; series: label`. */
const POINT = /aria-label="([^"]*)" role="graphics-symbol" aria-roledescription="point"/g;
const LINE = /aria-label="[^"]*; series: ([^"]*)" role="graphics-symbol" aria-roledescription="line mark"/g;

function unescapeXml(text: string): string {
  return text
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&amp;/g, '&');
}

function numberAfterColon(part: string): number {
  return Number(part.slice(part.lastIndexOf(': ') + 2).replace(/,/g, ''));
}

/** series label -> [x, y] of every dotted point, in drawing order. */
export function chartPoints(svg: string): Map<string, [number, number][]> {
  const found = new Map<string, [number, number][]>();
  for (const match of svg.matchAll(POINT)) {
    const parts = unescapeXml(match[1] ?? '').split('; ');
    const series = (parts[2] ?? '').replace(/^series: /, '');
    const points = found.get(series) ?? [];
    points.push([numberAfterColon(parts[0] ?? ''), numberAfterColon(parts[1] ?? '')]);
    found.set(series, points);
  }
  return found;
}

/** The series label of every line drawn, in drawing order. */
export function chartLines(svg: string): string[] {
  return [...svg.matchAll(LINE)].map((match) => unescapeXml(match[1] ?? ''));
}

/** The plot area's size, from the frame Vega draws around it. */
export function plotArea(svg: string): { width: number; height: number } {
  const frame = /class="background" aria-hidden="true" d="M0\.5,0\.5h([\d.]+)v([\d.]+)h-/.exec(svg);
  return { width: Number(frame?.[1]), height: Number(frame?.[2]) };
}

/** Top-left corner of the legend relative to the plot area's, or undefined without a legend. */
export function legendOrigin(svg: string): { x: number; y: number } | undefined {
  const legend = /class="mark-group role-legend"[^>]*><g transform="translate\(([-\d.]+),([-\d.]+)\)"/.exec(
    svg,
  );
  return legend ? { x: Number(legend[1]), y: Number(legend[2]) } : undefined;
}

/** The legend's entries. */
export function legendLabels(svg: string): string[] {
  const legend = svg.slice(svg.indexOf('class="mark-group role-legend"'));
  return [...legend.matchAll(/class="mark-text role-legend-label"[^>]*><text[^>]*>([^<]*)</g)].map((m) =>
    unescapeXml(m[1] ?? ''),
  );
}
