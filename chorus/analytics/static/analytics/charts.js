// Draws the analytics pages' charts from the JSON each page carries (json_script). Text from the page's data is
// only ever handed to ECharts as plain values, and tooltips escape it: channel names come from the internet.
(function () {
  "use strict";

  function data(id) {
    const element = document.getElementById(id);
    return element ? JSON.parse(element.textContent) : null;
  }

  function escaped(text) {
    const span = document.createElement("span");
    span.textContent = String(text);
    return span.innerHTML;
  }

  function draw(id, option) {
    const element = document.getElementById(id);
    if (!element || !window.echarts) return;
    const chart = window.echarts.init(element);
    chart.setOption(option);
    window.addEventListener("resize", () => chart.resize());
  }

  function empty(series) {
    return series.followers.some((v) => v !== null) || series.interactions.some((v) => v !== null) ? undefined : { text: series.labels.empty, left: "center", top: "middle",
      textStyle: { fontSize: 13, fontWeight: "normal", color: "#6c757d" } };
  }

  function drawSeries(series) {
    const axis = { type: "category", data: series.days };
    draw("chart-followers", {
      title: empty(series), grid: { left: 60, right: 20, top: 20, bottom: 30 }, tooltip: { trigger: "axis" },
      xAxis: axis, yAxis: { type: "value", scale: true },
      // Follower counts exist on the days an account snapshot was taken: the line joins them.
      series: [{ name: series.labels.followers, type: "line", data: series.followers, connectNulls: true }],
    });
    draw("chart-interactions", {
      title: empty(series), grid: { left: 60, right: 40, top: 30, bottom: 30 }, tooltip: { trigger: "axis" },
      legend: { data: [series.labels.interactions, series.labels.posts] }, xAxis: axis,
      yAxis: [{ type: "value" }, { type: "value", minInterval: 1 }],
      series: [
        { name: series.labels.interactions, type: "bar", data: series.interactions },
        { name: series.labels.posts, type: "line", yAxisIndex: 1, data: series.posts, showSymbol: false },
      ],
    });
  }

  function drawHeatmap(heat) {
    const shrunk = heat.cells.map((c) => c[2]).filter((v) => v !== null);
    const byPlace = new Map(heat.cells.map((c) => [c[0] + "," + c[1], c]));
    draw("chart-heatmap", {
      grid: { left: 50, right: 20, top: 10, bottom: 70 },
      tooltip: {
        formatter: (point) => {
          const c = byPlace.get(point.value[0] + "," + point.value[1]);
          const shown = (v) => (v === null ? "— " + heat.labels.missing : v);
          return escaped(heat.days[c[1]] + " " + heat.hours[c[0]] + ":00") + "<br>" +
            escaped(heat.labels.shrunk + ": " + shown(c[2]) + ", " + heat.labels.raw + ": " + shown(c[4]) +
                    ", " + heat.labels.n + ": " + c[3]);
        },
      },
      xAxis: { type: "category", data: heat.hours, splitArea: { show: true } },
      yAxis: { type: "category", data: heat.days, inverse: true, splitArea: { show: true } },
      visualMap: { min: shrunk.length ? Math.min(...shrunk) : 0, max: shrunk.length ? Math.max(...shrunk) : 1,
                   calculable: true, orient: "horizontal", left: "center", bottom: 0 },
      series: [{
        type: "heatmap", data: heat.cells.map((c) => [c[0], c[1], c[2] === null ? "-" : c[2]]),
        label: { show: true, fontSize: 9, formatter: (point) => "n=" + byPlace.get(point.value[0] + "," + point.value[1])[3] },
      }],
    });
  }

  document.addEventListener("DOMContentLoaded", () => {
    const series = data("analytics-series");
    if (series) drawSeries(series);
    const heat = data("analytics-heatmap");
    if (heat) drawHeatmap(heat);
  });
})();
