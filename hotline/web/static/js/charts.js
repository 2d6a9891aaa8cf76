// Horizontal bar charts drawn as inline SVG; labels are SVG text nodes, never parsed markup.
const SVG = "http://www.w3.org/2000/svg";

function svg(tag, attrs = {}, text = null) {
  const node = document.createElementNS(SVG, tag);
  for (const [key, value] of Object.entries(attrs)) node.setAttribute(key, value);
  if (text !== null) node.textContent = text;
  return node;
}

/**
 * rows: [{label, value}] with value a number or null (no data);
 * options: {title, max (default: largest value), format(value) → string}.
 */
export function barChart(rows, { title, max, format = String } = {}) {
  const rowHeight = 26;
  // On a phone the chart is drawn narrower, so that scaling it to the screen keeps its text legible.
  const phone = window.matchMedia("(max-width: 600px)").matches;
  const labelWidth = phone ? 120 : 150;
  const width = phone ? 360 : 560;
  const barSpace = width - labelWidth - 70;
  const top = 28;
  const height = top + rows.length * rowHeight + 8;
  const scale = max ?? Math.max(1, ...rows.map((r) => r.value ?? 0));
  const chart = svg("svg", {
    viewBox: `0 0 ${width} ${height}`,
    class: "chart",
    role: "img",
    "aria-label": title,
  });
  chart.append(svg("title", {}, title), svg("text", { x: 0, y: 16, class: "chart-title" }, title));
  rows.forEach((row, index) => {
    const y = top + index * rowHeight;
    const length = row.value === null || row.value === undefined ? 0 : (row.value / scale) * barSpace;
    chart.append(
      svg("text", { x: labelWidth - 8, y: y + 17, "text-anchor": "end", class: "chart-label" }, row.label),
      svg("rect", { x: labelWidth, y: y + 4, width: Math.max(0, length), height: rowHeight - 8, rx: 3, class: "chart-bar" }),
      svg("text", { x: labelWidth + length + 6, y: y + 17, class: "chart-value" },
        row.value === null || row.value === undefined ? "无数据" : format(row.value)),
    );
  });
  return chart;
}
