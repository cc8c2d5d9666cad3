import { describe, expect, it } from 'vitest';
import { type LineChart, lineChartSpec, renderLineChart } from '../../training/charts.js';
import { chartLines, chartPoints, legendLabels, legendOrigin, plotArea } from '../helpers/chart-svg.js';

const chart: LineChart = {
  title: 'precision at k',
  xLabel: 'k',
  yLabel: 'precision',
  yFromZero: true,
  width: 300,
  height: 180,
  series: [
    {
      label: 'ALS',
      color: '#1f77b4',
      points: [
        [1, 0.5],
        [2, 0.45],
        [3, 0.4],
      ],
    },
    {
      label: 'most popular <baseline>',
      color: '#d62728',
      dashed: true,
      points: [
        [1, 0.25],
        [2, 0.2],
        [3, 0.15],
      ],
    },
  ],
};

describe('Function: lineChartSpec', () => {
  it('puts one legend for colour and dash below the plot, and none for a single series', () => {
    // Act
    const spec = lineChartSpec(chart) as { encoding: Record<string, { legend?: unknown; scale?: unknown }> };
    const single = lineChartSpec({ ...chart, series: chart.series.slice(0, 1) }) as typeof spec;

    // Assess
    expect(spec.encoding.color?.legend).toMatchObject({ orient: 'bottom' });
    expect(spec.encoding.strokeDash?.legend).toEqual(spec.encoding.color?.legend);
    expect(spec.encoding.strokeDash?.scale).toEqual({
      domain: ['ALS', 'most popular <baseline>'],
      range: [
        [1, 0],
        [5, 4],
      ],
    });
    expect([single.encoding.color?.legend, single.encoding.strokeDash?.legend]).toEqual([null, null]);
  });

  it('drops points a log axis or a number cannot show', () => {
    const spec = lineChartSpec({
      ...chart,
      logY: true,
      series: [
        {
          label: 'tail',
          color: '#000',
          points: [
            [1, 10],
            [2, 0],
            [3, Number.NaN],
            [4, 1],
          ],
        },
      ],
    }) as { data: { values: unknown[] }; encoding: { y: { scale: unknown } } };

    expect(spec.data.values).toEqual([
      { x: 1, y: 10, series: 'tail' },
      { x: 4, y: 1, series: 'tail' },
    ]);
    expect(spec.encoding.y.scale).toEqual({ type: 'log' });
  });
});

describe('Function: renderLineChart', () => {
  it('draws every series with its points and a legend outside the plot area', async () => {
    // Act
    const svg = await renderLineChart(chart);

    // Assess
    const plot = plotArea(svg);
    const legend = legendOrigin(svg);
    expect(svg.startsWith('<svg')).toBe(true);
    expect(plot).toEqual({ width: 300, height: 180 });
    expect(chartLines(svg)).toEqual(['ALS', 'most popular <baseline>']);
    expect(Object.fromEntries(chartPoints(svg))).toEqual({
      ALS: chart.series[0]?.points,
      'most popular <baseline>': chart.series[1]?.points,
    });
    expect(legendLabels(svg)).toEqual(['ALS', 'most popular <baseline>']);
    // The legend starts below the plot area's bottom edge (y grows downwards), so it covers no curve.
    expect(legend?.y).toBeGreaterThan(plot.height);
    expect(svg).toContain('most popular &lt;baseline&gt;');
  });

  it('draws a single series without a legend and long series without dots', async () => {
    const points = Array.from({ length: 100 }, (_, i): [number, number] => [i + 1, 1000 / (i + 1)]);

    const svg = await renderLineChart({
      ...chart,
      logY: true,
      series: [{ label: 'tail', color: '#000', points }],
    });

    expect(chartLines(svg)).toEqual(['tail']);
    expect(chartPoints(svg).size).toBe(0);
    expect(legendOrigin(svg)).toBeUndefined();
    expect(svg).toContain('for a log scale');
  });

  it('draws points-only series as dots without a line, beside the line series', async () => {
    // Prepare
    const scores: [number, number][] = [
      [1, 0.3],
      [2, 0.5],
      [3, 0.4],
    ];
    const best: [number, number][] = [
      [1, 0.3],
      [2, 0.5],
      [3, 0.5],
    ];

    // Act
    const svg = await renderLineChart({
      ...chart,
      series: [
        { label: 'trial', color: '#1f77b4', points: scores, pointsOnly: true },
        { label: 'best so far', color: '#2ca02c', dashed: true, points: best },
      ],
    });

    // Assess
    expect(chartLines(svg)).toEqual(['best so far']);
    expect(chartPoints(svg).get('trial')).toEqual(scores);
    expect(legendLabels(svg)).toEqual(['trial', 'best so far']);
  });
});
