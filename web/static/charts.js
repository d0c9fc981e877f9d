// Interactive charts (ECharts, vendored under static/vendor by `make install`): each
// <div data-chart data-config="ID"> is drawn from the JSON in <script id="ID">, whose shape
// web/pages/chart_config.py documents. The page's tables and server-side charts stay for
// readers without JavaScript; with it, the static SVG charts give way to these.
(function () {
  "use strict";
  if (!window.echarts) { return; }

  function feedUrl(config, seriesIndex, dataIndex) {
    var params = new URLSearchParams();
    var add = function (filters) {
      Object.keys(filters || {}).forEach(function (key) {
        var value = filters[key];
        (Array.isArray(value) ? value : [value]).forEach(function (v) {
          if (v !== null && v !== undefined && v !== "") { params.append(key, v); }
        });
      });
    };
    add(config.base);
    add(config.series[seriesIndex].filter);
    add(config.links[dataIndex]);
    return config.feed + "?" + params.toString();
  }

  function option(config) {
    var twoAxes = config.series.some(function (s) { return s.axis === 1; });
    var yAxis = [{ type: "value", name: config.axes[0] || "",
                   axisLabel: { formatter: config.percent ? "{value}%" : "{value}" } }];
    if (config.bounds) { yAxis[0].min = config.bounds[0]; yAxis[0].max = config.bounds[1]; }
    if (twoAxes) { yAxis.push({ type: "value", name: config.axes[1] || "", min: -1, max: 1 }); }
    if (config.percent && twoAxes) { yAxis[1].min = -100; yAxis[1].max = 100; }
    if (config.percent && config.series.some(function (s) { return s.stack; })) {
      yAxis[0].max = 100;
    }
    return {
      animation: false,
      tooltip: { trigger: "axis", renderMode: "richText" },
      legend: { top: 0, type: "scroll" },
      grid: { left: 50, right: twoAxes ? 50 : 20, top: 40, bottom: config.zoom ? 70 : 40 },
      xAxis: { type: "category", data: config.labels, boundaryGap: true },
      yAxis: yAxis,
      dataZoom: config.zoom ? [{ type: "inside" }, { type: "slider", bottom: 10 }] : [],
      series: config.series.map(function (s) {
        return {
          name: s.name, type: s.type, data: s.values, stack: s.stack || undefined,
          yAxisIndex: s.axis || 0, connectNulls: false, showSymbol: true,
          areaStyle: s.area ? {} : undefined, cursor: "pointer",
          itemStyle: s.color ? { color: s.color } : undefined,
          lineStyle: s.color ? { color: s.color } : undefined,
          emphasis: { focus: "series" }
        };
      })
    };
  }

  function draw(node) {
    var source = document.getElementById(node.getAttribute("data-config"));
    if (!source) { return; }
    var config = JSON.parse(source.textContent);
    var chart = window.echarts.init(node, null, { renderer: "canvas" });
    chart.setOption(option(config));
    chart.on("click", function (event) {
      if (event.componentType !== "series") { return; }
      window.location.href = feedUrl(config, event.seriesIndex, event.dataIndex);
    });
    window.addEventListener("resize", function () { chart.resize(); });
    node.classList.add("drawn");
    node.chart = chart;  // for the browser test and the console
  }

  function periodPresets() {
    // Choosing a preset clears the dates, which would otherwise win over it.
    document.querySelectorAll("input[name=range]").forEach(function (radio) {
      radio.addEventListener("change", function () {
        var form = radio.form;
        form.querySelectorAll("input[name=since], input[name=until]").forEach(function (input) {
          input.value = "";
        });
      });
    });
  }

  document.documentElement.classList.add("charts-on");
  document.querySelectorAll("[data-chart]").forEach(draw);
  periodPresets();
})();
