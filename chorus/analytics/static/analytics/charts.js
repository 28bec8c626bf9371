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
    const moves = series.gained.some((v) => v !== null) || series.lost.some((v) => v !== null);
    draw("chart-followers", {
      title: empty(series), grid: { left: 60, right: moves ? 50 : 20, top: moves ? 30 : 20, bottom: 30 },
      tooltip: { trigger: "axis" }, legend: moves ? { data: [series.labels.gained, series.labels.lost] } : undefined,
      xAxis: axis, yAxis: [{ type: "value", scale: true }, { type: "value", minInterval: 1, show: moves }],
      // Follower counts exist on the days an account snapshot was taken: the line joins them. New and lost
      // followers are bars where the network gives them; lost ones point down.
      series: [
        { name: series.labels.followers, type: "line", data: series.followers, connectNulls: true },
        ...(moves ? [
          { name: series.labels.gained, type: "bar", yAxisIndex: 1, stack: "moves", data: series.gained },
          { name: series.labels.lost, type: "bar", yAxisIndex: 1, stack: "moves",
            data: series.lost.map((v) => (v === null ? null : -v)) },
        ] : []),
      ],
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

  function drawAudience(audience) {
    // Bucket names (a city, a country) are the network's text: drawn as plain values, escaped in tooltips.
    audience.dimensions.forEach((dimension) => {
      draw("chart-audience-" + dimension.id, {
        grid: { left: 110, right: 30, top: 10, bottom: 25 },
        tooltip: {
          formatter: (point) => escaped(dimension.buckets[point.dataIndex]) + "<br>" +
            escaped(audience.labels.share + ": " + dimension.shares[point.dataIndex] + ", " +
                    audience.labels.followers + ": " + dimension.followers[point.dataIndex]),
        },
        xAxis: { type: "value", axisLabel: { formatter: "{value} %" } },
        yAxis: { type: "category", data: dimension.buckets, inverse: true,
                 axisLabel: { width: 100, overflow: "truncate" } },
        series: [{ type: "bar", data: dimension.shares }],
      });
    });
  }

  document.addEventListener("DOMContentLoaded", () => {
    const series = data("analytics-series");
    if (series) drawSeries(series);
    const heat = data("analytics-heatmap");
    if (heat) drawHeatmap(heat);
    const audience = data("analytics-audience");
    if (audience) drawAudience(audience);
  });
})();
