// A horizontal bar chart of ranges in SVG: one bar per component at its central value, a whisker from low to
// high. Lengths are percentages of the chart's width, so it fits any width without measuring or redrawing;
// colours come from the stylesheet (CSS custom properties), never from style attributes.
// Written here rather than taken from a chart library: it is about a hundred lines, and a library would
// bring more code than the calculator itself for one kind of chart.

import {s} from "./dom.js";
import {figureLine, number, scaleFor} from "./format.js";

const ROW = 46; // px per component: label line, then the bar
const AXIS = 24;

const pct = (x) => `${Math.max(0, Math.min(100, x)).toFixed(3)}%`;

/** rows: [{label, range: {value, low, high}}]; unit: the unit of every row. */
export function rangeChart({title, unit, rows, className}) {
  const top = Math.max(...rows.map((row) => row.range.high), 0) || 1;
  const [factor, unitLabel] = scaleFor(top, unit);
  const height = rows.length * ROW + AXIS;
  const description = rows.map((row) => `${row.label}: ${figureLine(row.range, unit)}`).join("; ");
  const svg = s("svg", {
    class: `chart ${className || ""}`,
    width: "100%",
    height,
    role: "img",
    "aria-label": `${title}. ${description}.`,
  });
  rows.forEach((row, index) => {
    const y = index * ROW;
    const {value, low, high} = row.range;
    svg.append(
      s("text", {class: "chart-label", x: 0, y: y + 14}, row.label),
      s("rect", {class: "chart-track", x: 0, y: y + 20, width: "100%", height: 14, rx: 2}),
      s("rect", {class: "chart-bar", x: 0, y: y + 20, width: pct((value / top) * 100), height: 14, rx: 2}),
    );
    if (high > low) {
      const x1 = pct((low / top) * 100);
      const x2 = pct((high / top) * 100);
      svg.append(
        s("line", {class: "chart-whisker", x1, x2, y1: y + 27, y2: y + 27}),
        s("line", {class: "chart-whisker", x1, x2: x1, y1: y + 21, y2: y + 33}),
        s("line", {class: "chart-whisker", x1: x2, x2, y1: y + 21, y2: y + 33}),
      );
    }
  });
  const axisY = rows.length * ROW + 4;
  svg.append(s("line", {class: "chart-axis", x1: 0, x2: "100%", y1: axisY, y2: axisY}));
  for (const [fraction, anchor] of [[0, "start"], [0.5, "middle"], [1, "end"]]) {
    svg.append(
      s("text", {class: "chart-tick", x: pct(fraction * 100), y: axisY + 16, "text-anchor": anchor},
        fraction === 0 ? "0" : `${number((top * fraction) / factor)} ${unitLabel}`),
    );
  }
  return svg;
}

