import { useEffect, useRef } from 'react';
import uPlot, { type AlignedData, type Options } from 'uplot';
import 'uplot/dist/uPlot.min.css';

export interface ChartSeries {
  label: string;
  color: string;
  /** Draw points only (sparse series such as validation loss). */
  points?: boolean;
}

/** A line chart drawn by uPlot; the instance is made once and fed new data as it arrives. */
export function LineChart({ data, series, label, height = 200, testId, logY = false }: {
  data: AlignedData;
  series: ChartSeries[];
  label: string;
  height?: number;
  testId?: string;
  logY?: boolean;
}) {
  const host = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const seriesKey = series.map((s) => `${s.label}:${s.color}:${s.points}`).join('|');

  useEffect(() => {
    const element = host.current;
    if (!element) return;
    const options: Options = {
      width: Math.max(200, element.clientWidth),
      height,
      scales: { x: { time: false }, ...(logY ? { y: { distr: 3 } } : {}) },
      axes: [{ label: 'step', stroke: 'currentColor' }, { stroke: 'currentColor', size: 60 }],
      series: [
        { label: 'step' },
        ...series.map((s) => ({
          label: s.label, stroke: s.color, spanGaps: true,
          ...(s.points ? { points: { show: true, size: 7, fill: s.color }, width: 0 } : { points: { show: false }, width: 2 }),
        })),
      ],
      legend: { show: true },
    };
    const chart = new uPlot(options, [[], ...series.map(() => [])] as unknown as AlignedData, element);
    plot.current = chart;
    const resize = new ResizeObserver(() => chart.setSize({ width: Math.max(200, element.clientWidth), height }));
    resize.observe(element);
    return () => {
      resize.disconnect();
      chart.destroy();
      plot.current = null;
    };
    // a new set of series needs a new chart; data alone is fed below
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [seriesKey, height, logY]);

  useEffect(() => {
    plot.current?.setData(data);
  }, [data]);

  const points = data[0]?.length ?? 0;
  return <div className="line-chart" ref={host} role="img" aria-label={label} data-testid={testId} data-points={points} />;
}
