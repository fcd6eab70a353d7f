/* promptcache HTML report: draws the charts from the JSON embedded in the page and makes the
   findings table sortable and filterable. No request leaves the page. */
(function () {
  "use strict";
  var style = getComputedStyle(document.documentElement);

  function colour(role) {
    return style.getPropertyValue("--" + role).trim() || "#888888";
  }

  function openFinding(link) {
    var target = document.querySelector(link);
    if (!target) {
      return;
    }
    var details = target.querySelector("details");
    if (details) {
      details.open = true;
    }
    target.scrollIntoView();
    history.replaceState(null, "", link);
  }

  function drawCharts() {
    var data = document.getElementById("promptcache-charts");
    if (!data) {
      return; /* a page without charts (promptcache diff) */
    }
    var specs = JSON.parse(data.textContent);
    Chart.defaults.color = colour("fg-muted");
    Chart.defaults.borderColor = colour("grid");
    Chart.defaults.font.family = style.getPropertyValue("--font").trim() || "sans-serif";
    Chart.defaults.animation = false; /* drawn at once: for print and screenshots */
    specs.forEach(function (spec) {
      var config = spec.config;
      config.data.datasets.forEach(function (dataset) {
        var shade = colour(dataset.role);
        dataset.backgroundColor = shade;
        dataset.borderColor = shade;
        if (dataset.role === "mark") {
          dataset.type = "line";
          dataset.pointStyle = "triangle";
          dataset.pointRadius = 8;
          dataset.pointHoverRadius = 10;
          dataset.clip = false; /* a mark at 0% or 100% drawn whole, not cut by the axis */
        }
      });
      var options = config.options || {};
      options.responsive = true;
      options.maintainAspectRatio = false;
      options.spanGaps = true;
      options.plugins = {
        tooltip: {
          callbacks: {
            afterLabel: function (item) {
              var codes = item.dataset.codes;
              return codes && codes[item.dataIndex] ? codes[item.dataIndex] : "";
            }
          }
        }
      };
      options.onClick = function (event, elements, chart) {
        if (!elements.length) {
          return;
        }
        var dataset = chart.data.datasets[elements[0].datasetIndex];
        var link = dataset.links && dataset.links[elements[0].index];
        if (link) {
          openFinding(link);
        }
      };
      config.options = options;
      new Chart(document.getElementById("chart-" + spec.id), config);
    });
  }

  function sortKey(body, column, numeric) {
    var cell = body.rows[0].cells[column];
    return numeric ? parseFloat(cell.getAttribute("data-value")) : cell.textContent.trim().toLowerCase();
  }

  function findingsTable() {
    var table = document.getElementById("findings");
    if (!table) {
      return;
    }
    var bodies = Array.prototype.slice.call(table.tBodies);
    var filter = document.getElementById("finding-filter");
    var severity = document.getElementById("severity-filter");
    var count = document.getElementById("finding-count");

    function apply() {
      var query = filter.value.trim().toLowerCase();
      var shown = 0;
      bodies.forEach(function (body) {
        var visible = (!query || body.getAttribute("data-search").indexOf(query) >= 0) &&
          (!severity.value || body.getAttribute("data-severity") === severity.value);
        body.hidden = !visible;
        shown += visible ? 1 : 0;
      });
      count.textContent = shown + " of " + bodies.length + " findings shown";
    }

    filter.addEventListener("input", apply);
    severity.addEventListener("change", apply);
    var headers = table.querySelectorAll("th[data-sort]");
    Array.prototype.forEach.call(headers, function (header, column) {
      header.querySelector("button").addEventListener("click", function () {
        var ascending = header.getAttribute("aria-sort") !== "ascending";
        Array.prototype.forEach.call(headers, function (other) {
          other.removeAttribute("aria-sort");
        });
        header.setAttribute("aria-sort", ascending ? "ascending" : "descending");
        var numeric = header.getAttribute("data-sort") === "number";
        bodies.sort(function (a, b) {
          var left = sortKey(a, column, numeric);
          var right = sortKey(b, column, numeric);
          var order = numeric ? left - right : left.localeCompare(right);
          return ascending ? order : -order;
        });
        bodies.forEach(function (body) {
          table.appendChild(body);
        });
      });
    });
    apply();
  }

  document.addEventListener("click", function (event) {
    var link = event.target.closest && event.target.closest('a[href^="#finding-"]');
    if (link) {
      event.preventDefault();
      openFinding(link.getAttribute("href"));
    }
  });
  window.addEventListener("beforeprint", function () {
    Array.prototype.forEach.call(document.querySelectorAll("details"), function (details) {
      details.open = true;
    });
  });
  drawCharts();
  findingsTable();
  if (location.hash.indexOf("#finding-") === 0) {
    openFinding(location.hash);
  }
}());
