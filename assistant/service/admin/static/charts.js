// Small SVG charts for the admin page: stacked day bars, day lines, horizontal stacked bars.
// Every label is set with textContent: nothing given here is ever parsed as markup.
const NS = "http://www.w3.org/2000/svg";

function svg(name, attrs = {}, text) {
  const node = document.createElementNS(NS, name);
  for (const [key, value] of Object.entries(attrs)) node.setAttribute(key, String(value));
  if (text !== undefined) node.textContent = String(text);
  return node;
}

function html(name, className, text) {
  const node = document.createElement(name);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = String(text);
  return node;
}

export function legend(items) {
  const box = html("div", "legend");
  for (const { name, cls } of items) {
    const item = html("span", "legend-item");
    item.append(html("span", `swatch ${cls}`), html("span", "", name));
    box.append(item);
  }
  return box;
}

function niceMax(value) {
  if (!(value > 0)) return 1;
  const step = 10 ** Math.floor(Math.log10(value));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * step >= value) return m * step;
  return 10 * step;
}

// Whole-number ticks for counts: a step of 1, 2 or 5 × 10^k with at most four steps up to the top
// (10 replies: 0/5/10, never 0/2.5/5/7.5/10 rounded to 0/3/5/8/10).
function countTicks(value) {
  const top = Math.max(1, Math.ceil(value));
  const raw = top / 4;
  const power = 10 ** Math.max(0, Math.floor(Math.log10(raw)));
  const step = [1, 2, 5, 10].map((m) => m * power).find((s) => s >= raw);
  const max = step * Math.ceil(top / step);
  return { max, ticks: Array.from({ length: max / step + 1 }, (_, i) => i * step) };
}

function dayLabel(day) {
  return day.slice(5); // MM-DD
}

const H = 220, LEFT = 44, RIGHT = 10, TOP = 10, BOTTOM = 28;

// ticks: the values with a grid line and a label (default: the quarters of max).
function frame(labels, max, format, W, ticks = [0, 1, 2, 3, 4].map((i) => (max * i) / 4)) {
  const root = svg("svg", { viewBox: `0 0 ${W} ${H}`, class: "chart-svg", role: "img" });
  const plotH = H - TOP - BOTTOM;
  for (const tick of ticks) {
    const y = TOP + plotH - (plotH * tick) / max;
    root.append(svg("line", { x1: LEFT, x2: W - RIGHT, y1: y, y2: y, class: "grid" }));
    root.append(svg("text", { x: LEFT - 6, y: y + 4, class: "axis", "text-anchor": "end" }, format(tick)));
  }
  // as many day labels as fit (an MM-DD label needs about 40 px), at most 10
  const fit = Math.max(2, Math.min(10, Math.floor((W - LEFT - RIGHT) / 40)));
  const every = Math.max(1, Math.ceil(labels.length / fit));
  const band = (W - LEFT - RIGHT) / Math.max(1, labels.length);
  labels.forEach((label, i) => {
    // the last day always, and no other label too close before it (they would overlap)
    const last = labels.length - 1;
    if (i === last || (i % every === 0 && last - i >= every)) {
      root.append(svg("text", { x: LEFT + band * (i + 0.5), y: H - 8, class: "axis", "text-anchor": "middle" },
        dayLabel(label)));
    }
  });
  return { root, plotH, band };
}

// The width to draw a chart at: the container's own, in CSS pixels, so one SVG unit is one pixel
// and the labels keep their CSS font size at any screen width (admin.js redraws on a resize).
export function widthOf(container) {
  return Math.max(200, Math.round(container.clientWidth || 640));
}

// series: [{name, cls, values}] of counts, stacked per label; width: the drawing's width in SVG
// units (widthOf: the container's width, so the labels are drawn at their CSS size).
export function stackedBars(container, { labels, series, width = 640, format = (v) => String(v) }) {
  container.replaceChildren();
  const totals = labels.map((_, i) => series.reduce((sum, s) => sum + (s.values[i] || 0), 0));
  const { max, ticks } = countTicks(Math.max(0, ...totals));
  const { root, plotH, band } = frame(labels, max, format, width, ticks);
  labels.forEach((label, i) => {
    let base = TOP + plotH;
    for (const s of series) {
      const value = s.values[i] || 0;
      if (!value) continue;
      const h = (plotH * value) / max;
      base -= h;
      const bar = svg("rect", { x: LEFT + band * i + band * 0.15, y: base, width: band * 0.7, height: h, class: `bar ${s.cls}` });
      bar.append(svg("title", {}, `${label} ${s.name}: ${value}`));
      root.append(bar);
    }
  });
  container.append(root, legend(series));
}

// series: [{name, cls, values}] (null = no data that day); max: fixed top or null.
export function lines(container, { labels, series, max = null, width = 640, format = (v) => String(Math.round(v)) }) {
  container.replaceChildren();
  const seen = series.flatMap((s) => s.values.filter((v) => v !== null && v !== undefined));
  const top = max ?? niceMax(Math.max(0, ...seen));
  const { root, plotH, band } = frame(labels, top, format, width);
  for (const s of series) {
    let path = "";
    s.values.forEach((value, i) => {
      if (value === null || value === undefined) return;
      const x = LEFT + band * (i + 0.5);
      const y = TOP + plotH - (plotH * Math.min(value, top)) / top;
      path += `${path ? "L" : "M"}${x.toFixed(1)},${y.toFixed(1)}`;
      const dot = svg("circle", { cx: x, cy: y, r: 3, class: `dot ${s.cls}` });
      dot.append(svg("title", {}, `${labels[i]} ${s.name}: ${format(value)}`));
      root.append(dot);
    });
    if (path) root.insertBefore(svg("path", { d: path, class: `line ${s.cls}` }), root.firstChild.nextSibling);
  }
  container.append(root, legend(series));
}

// rows: [{label, parts: [{name, cls, value}], note}]; one bar per row, parts stacked.
export function hbars(container, rows, parts) {
  container.replaceChildren();
  const max = Math.max(1, ...rows.map((r) => r.parts.reduce((sum, p) => sum + p.value, 0)));
  const list = html("div", "hbars");
  for (const row of rows) {
    const line = html("div", "hbar-row");
    const name = html("span", "hbar-label", row.label);
    name.title = row.label;
    const track = svg("svg", { viewBox: "0 0 100 10", preserveAspectRatio: "none", class: "hbar-track" });
    let x = 0;
    for (const part of row.parts) {
      if (!part.value) continue;
      const w = (100 * part.value) / max;
      const rect = svg("rect", { x, y: 0, width: w, height: 10, class: `bar ${part.cls}` });
      rect.append(svg("title", {}, `${row.label} ${part.name}: ${part.value}`));
      track.append(rect);
      x += w;
    }
    line.append(name, track, html("span", "hbar-note", row.note ?? ""));
    list.append(line);
  }
  container.append(list, legend(parts));
}

export function emptyChart(container, text) {
  container.replaceChildren(html("p", "empty", text));
}
