// Numbers for people: three significant digits, in the unit that keeps them readable (MWh, tCO2e, m³).

const SCALES = {
  kWh: [[1e6, "GWh"], [1e3, "MWh"], [1, "kWh"], [1e-3, "Wh"]],
  Wh: [[1e6, "MWh"], [1e3, "kWh"], [1, "Wh"], [1e-3, "mWh"]],
  kgCO2e: [[1e6, "ktCO2e"], [1e3, "tCO2e"], [1, "kgCO2e"], [1e-3, "gCO2e"]],
  gCO2e: [[1e6, "tCO2e"], [1e3, "kgCO2e"], [1, "gCO2e"], [1e-3, "mgCO2e"]],
  L: [[1e6, "ML"], [1e3, "m³"], [1, "L"], [1e-3, "mL"]],
  mL: [[1e6, "m³"], [1e3, "L"], [1, "mL"]],
  s: [[1, "s"], [1e-3, "ms"], [1e-6, "µs"]],
};

const plain = new Intl.NumberFormat(undefined, {maximumSignificantDigits: 3});
const whole = new Intl.NumberFormat(undefined, {maximumFractionDigits: 0});
const scientific = new Intl.NumberFormat(undefined, {maximumSignificantDigits: 3, notation: "scientific"});

export const isRange = (value) =>
  value !== null && typeof value === "object" && typeof value.value === "number";

export function number(value) {
  if (typeof value !== "number" || !Number.isFinite(value)) return String(value);
  const magnitude = Math.abs(value);
  if (Number.isInteger(value) && magnitude < 1e7) return whole.format(value); // counts stay exact: 1,024
  return magnitude !== 0 && (magnitude >= 1e7 || magnitude < 1e-3) ? scientific.format(value) : plain.format(value);
}

/** The scale factor and unit label for showing ``value`` of ``unit``. */
export function scaleFor(value, unit) {
  const scales = SCALES[unit];
  if (!scales || !Number.isFinite(value)) return [1, unit || ""];
  const magnitude = Math.abs(value);
  for (const [factor, label] of scales) {
    if (magnitude >= factor) return [factor, label];
  }
  const [factor, label] = scales[scales.length - 1];
  return [factor, label];
}

/** {value, low, high, unit} as text parts: "36.3", "MWh", "29.1–45.0" (range null when it collapses). */
export function figureText(raw, unit, percent = false) {
  if (typeof raw === "string") return {value: raw, unit: "", range: null};
  const range = isRange(raw) ? raw : {value: raw, low: raw, high: raw};
  if (percent) {
    const show = (x) => `${number(x * 100)}`;
    return {
      value: show(range.value),
      unit: "%",
      range: range.low !== range.high ? `${show(range.low)}–${show(range.high)}` : null,
    };
  }
  const [factor, label] = scaleFor(range.value, unit);
  const show = (x) => number(x / factor);
  return {
    value: show(range.value),
    unit: label,
    range: range.low !== range.high ? `${show(range.low)}–${show(range.high)}` : null,
  };
}

/** One line of text: "36.3 MWh (29.1–45.0)". */
export function figureLine(raw, unit, percent = false) {
  const text = figureText(raw, unit, percent);
  return `${text.value}${text.unit ? " " + text.unit : ""}${text.range ? ` (${text.range})` : ""}`;
}

/** An assumption's value: a number, a string or a range. */
export function assumptionValue(value) {
  if (isRange(value)) {
    return value.low === value.high ? number(value.value) : `${number(value.value)} (${number(value.low)}–${number(value.high)})`;
  }
  return typeof value === "number" ? number(value) : String(value);
}
