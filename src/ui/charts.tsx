// Charts as server-rendered SVG (architecture §13): no script, nothing inline for the CSP to refuse —
// every colour and line style comes from classes in app.css (a `style` attribute would be a
// violation under `style-src 'self' 'nonce-…'`). Each bar carries a <title> (the browser's own
// tooltip), and each chart a table of its numbers for people who cannot see it.
import type { Child } from "hono/jsx";

export interface Series {
  label: string;
  /** A class in app.css that colours the series (`bar-admitted`, `s0` … `s6`). */
  class: string;
}

export interface Bucket {
  /** The bucket's name on the axis and in its tooltip. */
  label: string;
  /** One value per series, stacked in series order. */
  values: number[];
}

const WIDTH = 720;
const HEIGHT = 200;
const LEFT = 52;
const RIGHT = 8;
const TOP = 14;
const BOTTOM = 22;

const format = (n: number) => n.toLocaleString("en-US");

/** 1, 2, 5 × 10^k at or above `n`: round numbers on the axis. */
export function niceCeiling(n: number): number {
  if (n <= 0) return 1;
  const power = 10 ** Math.floor(Math.log10(n));
  for (const step of [1, 2, 5, 10]) if (step * power >= n) return step * power;
  return 10 * power;
}

/**
 * A stacked bar chart. `limit` draws a dashed line at a plan's limit; the scale always includes
 * it, so a bar's height is read against the limit, not against the busiest bucket.
 */
export function BarChart(props: {
  id: string;
  title: string;
  series: Series[];
  buckets: Bucket[];
  /** Every `labelEvery`-th bucket is named on the axis. */
  labelEvery: number;
  limit?: { value: number; label: string };
}): Child {
  const { id, series, buckets, limit } = props;
  const totals = buckets.map((b) => b.values.reduce((sum, v) => sum + v, 0));
  const top = niceCeiling(Math.max(1, ...totals, limit?.value ?? 0));
  const plotWidth = WIDTH - LEFT - RIGHT;
  const plotHeight = HEIGHT - TOP - BOTTOM;
  const slot = plotWidth / Math.max(1, buckets.length);
  const barWidth = Math.max(1, slot * 0.8);
  const y = (value: number) => TOP + plotHeight - (value / top) * plotHeight;
  const round = (n: number) => Math.round(n * 10) / 10;
  return (
    <figure class="chart" id={id}>
      <figcaption>{props.title}</figcaption>
      <svg
        viewBox={`0 0 ${WIDTH} ${HEIGHT}`}
        role="img"
        aria-labelledby={`${id}-title`}
        preserveAspectRatio="xMidYMid meet"
      >
        <title id={`${id}-title`}>
          {`${props.title}: ${format(totals.reduce((a, b) => a + b, 0))} in all${limit ? `; ${limit.label}` : ""}`}
        </title>
        {[0, top / 2, top].map((tick) => (
          <>
            <line class="grid" x1={LEFT} x2={WIDTH - RIGHT} y1={round(y(tick))} y2={round(y(tick))} />
            <text class="axis" x={LEFT - 6} y={round(y(tick) + 4)} text-anchor="end">
              {format(tick)}
            </text>
          </>
        ))}
        {buckets.map((bucket, i) => {
          const x = round(LEFT + i * slot + (slot - barWidth) / 2);
          let base = 0;
          return (
            <g class="bucket">
              <title>{`${bucket.label}: ${series.map((s, k) => `${format(bucket.values[k] ?? 0)} ${s.label}`).join(", ")}`}</title>
              {series.map((s, k) => {
                const value = bucket.values[k] ?? 0;
                if (value <= 0) return null;
                const from = base;
                base += value;
                return (
                  <rect
                    class={`bar ${s.class}`}
                    x={x}
                    y={round(y(base))}
                    width={round(barWidth)}
                    height={Math.max(0.5, round(y(from) - y(base)))}
                  />
                );
              })}
              {i % props.labelEvery === 0 ? (
                <text class="axis" x={round(x + barWidth / 2)} y={HEIGHT - 6} text-anchor="middle">
                  {bucket.label}
                </text>
              ) : null}
            </g>
          );
        })}
        {limit ? (
          <>
            <line
              class="limit"
              x1={LEFT}
              x2={WIDTH - RIGHT}
              y1={round(y(limit.value))}
              y2={round(y(limit.value))}
            />
            <text class="limit-label" x={WIDTH - RIGHT - 4} y={round(y(limit.value) - 4)} text-anchor="end">
              {limit.label}
            </text>
          </>
        ) : null}
      </svg>
      <Legend series={series} />
      <details>
        <summary>The numbers</summary>
        <table class="data">
          <thead>
            <tr>
              <th>{props.title.includes("minute") ? "Minute (UTC)" : "Day (UTC)"}</th>
              {series.map((s) => (
                <th>{s.label}</th>
              ))}
            </tr>
          </thead>
          <tbody>
            {buckets
              .filter((_, i) => (totals[i] ?? 0) > 0)
              .map((bucket) => (
                <tr>
                  <td>{bucket.label}</td>
                  {series.map((_, k) => (
                    <td>{format(bucket.values[k] ?? 0)}</td>
                  ))}
                </tr>
              ))}
          </tbody>
        </table>
      </details>
    </figure>
  );
}

export function Legend({ series }: { series: Series[] }): Child {
  return (
    <ul class="legend">
      {series.map((s) => (
        <li>
          <svg class="swatch" viewBox="0 0 10 10" aria-hidden="true">
            <rect class={s.class} width="10" height="10" />
          </svg>
          {s.label}
        </li>
      ))}
    </ul>
  );
}

/** A horizontal gauge: `used` of `limit`, with the share in words. */
export function Gauge(props: { label: string; used: number; limit: number; detail?: string }): Child {
  const share = props.limit > 0 ? Math.min(1, props.used / props.limit) : 0;
  const level = share >= 0.9 ? "high" : share >= 0.7 ? "warn" : "ok";
  const percent = props.limit > 0 ? (props.used / props.limit) * 100 : 0;
  return (
    <div class="gauge">
      <div class="gauge-label">
        <strong>{props.label}</strong>{" "}
        <span>
          {format(props.used)} of {format(props.limit)} (
          {percent < 1 && props.used > 0 ? "<1" : Math.round(percent)}%)
        </span>
        {props.detail ? <span class="muted"> · {props.detail}</span> : null}
      </div>
      <svg
        class="meter"
        viewBox="0 0 400 12"
        preserveAspectRatio="none"
        role="img"
        aria-label={`${props.label}: ${Math.round(percent)}%`}
      >
        <rect class="gauge-track" width="400" height="12" rx="3" />
        <rect class={`gauge-fill ${level}`} width={Math.round(share * 4000) / 10} height="12" rx="3" />
      </svg>
    </div>
  );
}
