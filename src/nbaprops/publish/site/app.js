/* nbaprops dashboard: reads the published JSON next to it (relative paths) and renders one page.
 * No build step and no framework; charts are plotly.js (assets/plotly.min.js, from the plotly package).
 * Every table cell that shows a number carries data-col (its field), so the browser tests can compare
 * what is shown with the JSON. */
"use strict";

const ET = new Intl.DateTimeFormat("en-US", { timeZone: "America/New_York", hour: "numeric", minute: "2-digit" });
const ET_DAY = new Intl.DateTimeFormat("en-US", {
  timeZone: "America/New_York", month: "short", day: "numeric", hour: "numeric", minute: "2-digit",
});
const PLOT_CONFIG = { displayModeBar: false, responsive: true };
const COLORS = ["#0b5cad", "#a3292f", "#0a6b3b", "#8a4b00", "#6a3d9a", "#00707a", "#4f5965", "#b8327a", "#1b1f24"];
// Colour is not the only cue: every other system also gets its own dash pattern.
const DASHES = ["solid", "dash", "solid", "dot", "solid", "dashdot", "longdash", "dash", "dot"];

/* ---------- formatting ---------- */
const dash = "–";
const isNum = (v) => typeof v === "number" && Number.isFinite(v);
const num = (v, d = 1) => (isNum(v) ? v.toFixed(d) : dash);
const signed = (v, d = 1) => (isNum(v) ? (v > 0 ? "+" : "") + v.toFixed(d) : dash);
const pct = (v, d = 1) => (isNum(v) ? (100 * v).toFixed(d) + "%" : dash);
const signedPct = (v, d = 1) => (isNum(v) ? (v > 0 ? "+" : "") + (100 * v).toFixed(d) + "%" : dash);
const price = (v) => (isNum(v) ? (v > 0 ? "+" + v : String(v)) : dash);
const tip = (iso) => (iso ? ET.format(new Date(iso)) + " ET" : dash);
const when = (iso) => (iso ? ET_DAY.format(new Date(iso)) + " ET" : dash);
// A prediction's top_features as "feature +1.23, other −0.45": what moved the system's mean, in points.
const drivers = (top) => (top || []).map((f) => `${f.feature} ${signed(f.contribution_points, 2)}`).join(", ");
const interval = (iv, f) => (iv && isNum(iv.mean) ? `${f(iv.mean)} [${f(iv.low)}, ${f(iv.high)}]` : dash);

/* ---------- plumbing ---------- */
async function load(path) {
  const response = await fetch(path, { cache: "no-cache" });
  if (!response.ok) throw new Error(`${path}: HTTP ${response.status}`);
  return response.json();
}

function setField(name, text) {
  for (const node of document.querySelectorAll(`[data-field="${name}"]`)) node.textContent = text;
}

function stamp(doc) {
  setField("as_of", when(doc.as_of));
  setField("generated_at", when(doc.generated_at));
}

function fail(error) {
  const box = document.querySelector(".error");
  box.textContent = `Could not load the data: ${error.message}`;
  box.hidden = false;
  console.error(error);
}

function el(tag, attrs = {}, text) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) if (v !== undefined && v !== null) node.setAttribute(k, v);
  if (text !== undefined) node.textContent = text;
  return node;
}

/**
 * Render rows into a table. A column is {key, label, num?, show(row) -> text, value?(row) -> sort key,
 * cls?(row), href?(row)}. With sortable, each header is a button that sorts by its column
 * (aria-sort tells assistive technology the order).
 */
function renderTable(table, columns, rows, options = {}) {
  const head = table.tHead;
  const body = table.tBodies[0];
  const state = table._sort || { key: options.sortKey, dir: options.sortDir || "descending" };
  table._sort = state;
  head.replaceChildren();
  const tr = el("tr");
  for (const col of columns) {
    const th = el("th", { scope: "col", class: col.num ? "num" : undefined });
    if (options.sortable) {
      if (state.key === col.key) th.setAttribute("aria-sort", state.dir);
      const button = el("button", { type: "button" }, col.label);
      button.addEventListener("click", () => {
        const dir = state.key === col.key && state.dir === "descending" ? "ascending" : "descending";
        table._sort = { key: col.key, dir };
        renderTable(table, columns, rows, options);
        table.tHead.querySelector(`th:nth-child(${columns.indexOf(col) + 1}) button`).focus();
      });
      th.append(button);
    } else {
      th.textContent = col.label;
    }
    tr.append(th);
  }
  head.append(tr);
  let shown = rows;
  const sortCol = columns.find((c) => c.key === table._sort.key);
  if (options.sortable && sortCol) {
    const key = sortCol.value || sortCol.show;
    const sign = table._sort.dir === "ascending" ? 1 : -1;
    shown = [...rows].sort((a, b) => {
      const x = key(a), y = key(b);
      if (x === y) return 0;
      if (x === null || x === undefined || Number.isNaN(x)) return 1;
      if (y === null || y === undefined || Number.isNaN(y)) return -1;
      return (x < y ? -1 : 1) * sign;
    });
  }
  body.replaceChildren();
  if (!shown.length) {
    const row = el("tr");
    row.append(el("td", { colspan: columns.length, class: "empty" }, options.empty || "Nothing to show."));
    body.append(row);
    return;
  }
  for (const row of shown) {
    const line = el("tr");
    for (const col of columns) {
      const classes = [col.num ? "num" : "", col.cls ? col.cls(row) : ""].filter(Boolean).join(" ");
      const td = el("td", { class: classes || undefined, "data-col": col.key });
      const text = col.show(row);
      if (col.href) td.append(el("a", { href: col.href(row) }, text));
      else td.textContent = text;
      line.append(td);
    }
    body.append(line);
  }
}

function options(select, values, selected) {
  select.replaceChildren();
  for (const [value, label] of values) {
    const option = el("option", { value }, label);
    if (value === selected) option.selected = true;
    select.append(option);
  }
}

function plot(id, traces, layout) {
  const node = document.getElementById(id);
  if (typeof Plotly === "undefined") throw new Error("plotly.js did not load");
  const narrow = window.innerWidth < 600;
  const base = {
    margin: narrow ? { l: 44, r: 8, t: 16, b: 40 } : { l: 56, r: 16, t: 16, b: 48 },
    height: narrow ? 420 : 340,
    font: { family: "system-ui, sans-serif", size: narrow ? 11 : 13, color: "#1b1f24" },
    legend: { orientation: "h", x: 0, y: -0.18, font: { size: narrow ? 10 : 12 } },
    paper_bgcolor: "#ffffff",
    plot_bgcolor: "#ffffff",
  };
  return Plotly.newPlot(node, traces, { ...base, ...layout }, PLOT_CONFIG);
}

const playerLink = (row) => `player.html?id=${encodeURIComponent(row.player_id)}`;

/* ---------- pages ---------- */
async function tonightPage() {
  const index = await load("index.json");
  const wanted = new URLSearchParams(location.search).get("date");
  const day = wanted || index.latest_date;
  if (!day) throw new Error("nothing published yet");
  const dateSelect = document.getElementById("date");
  options(dateSelect, index.tonight.map((d) => [d, d]), day);
  dateSelect.addEventListener("change", () => {
    location.search = `?date=${encodeURIComponent(dateSelect.value)}`;
  });
  const [tonight, picks] = await Promise.all([load(`tonight/${day}.json`), load(`picks/${day}.json`)]);
  stamp(tonight);
  const topOf = new Map(
    tonight.predictions.flatMap((p) => p.systems.map((s) => [`${p.player_id}|${s.system_id}`, s.top_features])),
  );
  setField("game_date", day);
  setField(
    "summary",
    `${tonight.predictions.length} players in ${tonight.games.length} games, ` +
      `${tonight.systems.length} systems; predicted as of ${when(tonight.as_of)}.`,
  );
  setField("picks_system", `(${picks.system_id})`);
  setField(
    "picks_caps",
    `By edge-adjusted EV (EV at the probability shrunk toward the market); at most ${picks.caps.max_per_team} per team and ${picks.caps.max_picks} a day. ` +
      `Total stake ${pct(picks.total_stake, 2)} of bankroll. Not picked: ` +
      (picks.pass_reasons.map((r) => `${r.reason} ${r.count}`).join(", ") || "none") + ".",
  );
  renderTable(
    document.getElementById("best"),
    [
      { key: "rank", label: "#", num: true, show: (r) => String(r.rank) },
      { key: "player_name", label: "Player", show: (r) => r.player_name || String(r.player_id), href: playerLink },
      { key: "pick", label: "Pick", show: (r) => r.pick, cls: (r) => `pick-${r.pick}` },
      { key: "line", label: "Line", num: true, show: (r) => num(r.line) },
      { key: "mean", label: "Predicted", num: true, show: (r) => num(r.mean) },
      {
        key: "drivers",
        label: "Drivers",
        show: (r) => drivers(topOf.get(`${r.player_id}|${picks.system_id}`)),
        cls: () => "drivers",
      },
      { key: "p_pick", label: "P(pick)", num: true, show: (r) => num(r.p_pick, 3) },
      { key: "ev", label: "EV", num: true, show: (r) => signed(r.ev, 3) },
      { key: "adjusted_ev", label: "Adj. EV", num: true, show: (r) => signed(r.adjusted_ev, 3) },
      { key: "stake", label: "Stake", num: true, show: (r) => pct(r.stake, 2) },
      { key: "team", label: "Team", show: (r) => r.team || dash },
      { key: "opponent", label: "Opp", show: (r) => r.opponent || dash },
      { key: "tip_utc", label: "Tip", show: (r) => tip(r.tip_utc) },
      { key: "book", label: "Book", show: (r) => r.book || dash },
      { key: "price", label: "Price", num: true, show: (r) => price(r.price) },
    ],
    picks.picks,
    { empty: "No pick clears the thresholds today." },
  );

  const rows = tonight.predictions.flatMap((p) =>
    p.systems.map((s) => ({
      player_id: p.player_id,
      player_name: p.player_name,
      team: p.team,
      opponent: p.opponent,
      tip_utc: p.tip_utc,
      line: p.line ? p.line.value : null,
      book: p.line ? p.line.book : null,
      injury: p.injury.status,
      system_id: s.system_id,
      mean: s.mean,
      sd: s.sd,
      p_over: s.p_over,
      pick: s.pick,
      edge: s.edge,
      ev: s.ev,
      stake: s.stake,
      reasons: s.reasons.join("; "),
      drivers: drivers(s.top_features),
    })),
  );
  const systemSelect = document.getElementById("f-system");
  const teamSelect = document.getElementById("f-team");
  const edgeInput = document.getElementById("f-edge");
  const passBox = document.getElementById("f-pass");
  options(systemSelect, [["", "All systems"], ...tonight.systems.map((s) => [s, s])], picks.system_id);
  const teams = [...new Set(rows.map((r) => r.team).filter(Boolean))].sort();
  options(teamSelect, [["", "All teams"], ...teams.map((t) => [t, t])], "");
  const columns = [
    { key: "player_name", label: "Player", show: (r) => r.player_name || String(r.player_id), href: playerLink },
    { key: "system_id", label: "System", show: (r) => r.system_id },
    { key: "pick", label: "Pick", show: (r) => r.pick, cls: (r) => `pick-${r.pick}` },
    { key: "line", label: "Line", num: true, show: (r) => num(r.line), value: (r) => r.line },
    { key: "mean", label: "Predicted", num: true, show: (r) => num(r.mean), value: (r) => r.mean },
    { key: "drivers", label: "Drivers", show: (r) => r.drivers, cls: () => "drivers" },
    { key: "edge", label: "Edge", num: true, show: (r) => signed(r.edge), value: (r) => r.edge },
    { key: "ev", label: "EV", num: true, show: (r) => signed(r.ev, 3), value: (r) => r.ev },
    { key: "p_over", label: "P(over)", num: true, show: (r) => num(r.p_over, 3), value: (r) => r.p_over },
    { key: "sd", label: "SD", num: true, show: (r) => num(r.sd), value: (r) => r.sd },
    { key: "stake", label: "Stake", num: true, show: (r) => pct(r.stake, 2), value: (r) => r.stake },
    { key: "team", label: "Team", show: (r) => r.team || dash },
    { key: "opponent", label: "Opp", show: (r) => r.opponent || dash },
    { key: "tip_utc", label: "Tip", show: (r) => tip(r.tip_utc), value: (r) => r.tip_utc },
    { key: "injury", label: "Injury", show: (r) => r.injury || "" },
    { key: "reasons", label: "Why", show: (r) => r.reasons },
  ];
  const table = document.getElementById("all");
  let applied = null;
  const refresh = () => {
    const system = systemSelect.value;
    const team = teamSelect.value;
    const minEdge = Math.max(0, Number.parseFloat(edgeInput.value) || 0);
    // "change" follows "input" when a field loses focus: re-rendering then would drop the focus
    // the user just moved into the table.
    const key = JSON.stringify([system, team, minEdge, passBox.checked]);
    if (key === applied) return;
    applied = key;
    const shown = rows.filter(
      (r) =>
        (!system || r.system_id === system) &&
        (!team || r.team === team) &&
        (passBox.checked || r.pick === "OVER" || r.pick === "UNDER") &&
        (minEdge === 0 || (isNum(r.edge) && Math.abs(r.edge) >= minEdge)),
    );
    setField("shown", `${shown.length} of ${rows.length} predictions shown.`);
    renderTable(table, columns, shown, { sortable: true, sortKey: "ev", empty: "No prediction matches the filters." });
  };
  for (const control of [systemSelect, teamSelect, edgeInput, passBox]) {
    control.addEventListener("input", refresh);
    control.addEventListener("change", refresh);
  }
  refresh();
}

async function playerPage() {
  const id = new URLSearchParams(location.search).get("id");
  if (!id || !/^\d+$/.test(id)) throw new Error("no player id in the address (player.html?id=…)");
  const player = await load(`players/${id}.json`);
  stamp(player);
  document.title = `${player.player_name || id} · nbaprops`;
  setField("player_name", player.player_name || `Player ${id}`);
  const next = player.upcoming[0];
  setField(
    "summary",
    `${player.team || ""} · last ${player.recent.length} games before ${player.game_date}` +
      (next ? ` · next: vs ${next.opponent}, ${tip(next.tip_utc)}` : ""),
  );
  const games = player.recent;
  const labels = games.map((g) => `${g.game_date.slice(5)} ${g.opponent || ""}`);
  const colour = { OVER: "#0a6b3b", UNDER: "#a3292f", PUSH: "#4f5965" };
  plot(
    "chart-recent",
    [
      {
        type: "bar",
        name: "Points",
        x: labels,
        y: games.map((g) => (g.played ? g.points : 0)),
        marker: { color: games.map((g) => colour[g.result_vs_line] || "#8a949e") },
        hovertemplate: "%{x}: %{y} points<extra></extra>",
      },
      {
        type: "scatter",
        mode: "lines+markers",
        name: "Line",
        x: labels,
        y: games.map((g) => g.line),
        line: { color: "#1b1f24", dash: "dash", shape: "hvh" },
        hovertemplate: "%{x}: line %{y}<extra></extra>",
      },
    ],
    { yaxis: { title: { text: "points" }, rangemode: "tozero" } },
  );
  renderTable(
    document.getElementById("recent"),
    [
      { key: "game_date", label: "Date", show: (g) => g.game_date },
      { key: "opponent", label: "Opp", show: (g) => g.opponent || dash },
      { key: "minutes", label: "Min", num: true, show: (g) => num(g.minutes, 0) },
      { key: "points", label: "Points", num: true, show: (g) => (g.played ? num(g.points, 0) : `DNP${g.dnp_reason ? ` (${g.dnp_reason})` : ""}`) },
      { key: "line", label: "Line", num: true, show: (g) => num(g.line) },
      { key: "result_vs_line", label: "vs line", show: (g) => g.result_vs_line || dash, cls: (g) => `pick-${g.result_vs_line}` },
    ],
    [...games].reverse(),
    { empty: "No earlier game this season." },
  );
  if (!next) {
    setField("next", "No upcoming game published.");
    return;
  }
  const dist = next.distribution;
  const line = next.line ? next.line.value : null;
  setField(
    "next",
    `${next.game_date} vs ${next.opponent}: line ${line === null ? "not posted" : num(line)}` +
      (next.line ? ` (${next.line.book}, ${price(next.line.over_price)} / ${price(next.line.under_price)})` : "") +
      (dist ? `; distribution from ${dist.system_id}.` : "."),
  );
  if (dist) {
    const side = dist.points.map((k) => (line === null ? "#0b5cad" : k > line ? "#0a6b3b" : k < line ? "#a3292f" : "#4f5965"));
    plot(
      "chart-dist",
      [
        {
          type: "bar",
          name: "P(points)",
          x: dist.points,
          y: dist.probability,
          marker: { color: side },
          hovertemplate: "%{x} points: %{y:.1%}<extra></extra>",
        },
      ],
      {
        xaxis: { title: { text: "points" } },
        yaxis: { title: { text: "probability" }, tickformat: ".0%" },
        shapes:
          line === null
            ? []
            : [{ type: "line", x0: line, x1: line, yref: "paper", y0: 0, y1: 1, line: { color: "#1b1f24", width: 2, dash: "dash" } }],
        showlegend: false,
      },
    );
  } else {
    setField("next", "No distribution published for the next game.");
  }
  renderTable(
    document.getElementById("systems"),
    [
      { key: "system_id", label: "System", show: (s) => s.system_id },
      { key: "mean", label: "Predicted", num: true, show: (s) => num(s.mean) },
      { key: "drivers", label: "Drivers", show: (s) => drivers(s.top_features), cls: () => "drivers" },
      { key: "sd", label: "SD", num: true, show: (s) => num(s.sd) },
      { key: "q10", label: "10%–90%", num: true, show: (s) => `${num(s.q10, 0)}–${num(s.q90, 0)}` },
      { key: "p_over", label: "P(over)", num: true, show: (s) => num(s.p_over, 3) },
      { key: "pick", label: "Pick", show: (s) => s.pick, cls: (s) => `pick-${s.pick}` },
      { key: "ev", label: "EV", num: true, show: (s) => signed(s.ev, 3) },
      { key: "stake", label: "Stake", num: true, show: (s) => pct(s.stake, 2) },
      { key: "reasons", label: "Why", show: (s) => s.reasons.join("; ") },
    ],
    next.systems,
  );
}

async function performancePage() {
  const perf = await load("performance.json");
  stamp(perf);
  if (!perf.windows.length) {
    setField("summary", "Nothing graded yet.");
    return;
  }
  setField(
    "summary",
    `Graded through ${perf.last_graded_date} (season from ${perf.season_start}). Every row of a window is a ` +
      `player-game that every system predicted, was played and had a line.`,
  );
  const windowSelect = document.getElementById("window");
  options(windowSelect, perf.windows.map((w) => [w.window, `${w.window} (${w.start} to ${w.end}, ${w.n_rows} rows)`]), "season");
  const columns = [
    { key: "system_id", label: "System", show: (s) => s.system_id + (s.reference ? " (reference)" : "") },
    { key: "n", label: "N", num: true, show: (s) => String(s.n) },
    { key: "mae", label: "MAE", num: true, show: (s) => num(s.mae, 3) },
    { key: "mae_minus_line", label: "MAE − line [95%]", num: true, show: (s) => interval(s.mae_minus_line, (v) => signed(v, 3)) },
    { key: "bias", label: "Bias", num: true, show: (s) => signed(s.bias, 2) },
    { key: "n_picks", label: "Picks", num: true, show: (s) => String(s.n_picks) },
    { key: "hit_rate", label: "Hit rate [95%]", num: true, show: (s) => (s.hit_rate_interval ? interval(s.hit_rate_interval, (v) => pct(v)) : pct(s.hit_rate)) },
    { key: "roi", label: "ROI", num: true, show: (s) => signedPct(s.roi) },
    { key: "brier", label: "Brier", num: true, show: (s) => num(s.brier, 4) },
    { key: "brier_skill_vs_market", label: "Brier skill", num: true, show: (s) => signed(s.brier_skill_vs_market, 4) },
    { key: "ece", label: "ECE (floor)", num: true, show: (s) => (s.ece_all && isNum(s.ece_all.ece) ? `${num(s.ece_all.ece, 3)} (${num(s.ece_all.noise_floor, 3)})` : dash) },
    { key: "clv_points", label: "CLV pts", num: true, show: (s) => interval(s.clv_points, (v) => signed(v, 2)) },
    { key: "coverage", label: "80% cover", num: true, show: (s) => pct(s.coverage) },
  ];
  const refresh = () => {
    const chosen = perf.windows.find((w) => w.window === windowSelect.value) || perf.windows[perf.windows.length - 1];
    renderTable(document.getElementById("systems"), columns, chosen.systems, { empty: "Nothing graded in this window." });
  };
  windowSelect.addEventListener("change", refresh);
  refresh();
  // Each point is the system over the last ROLLING game days (weighted by rows, or by picks for
  // the hit rate and ROI), so a day with five picks does not swing the line on its own.
  const ROLLING = 7;
  const series = (field, weight) =>
    perf.daily.map((s, i) => ({
      type: "scatter",
      mode: "lines",
      name: s.system_id,
      x: s.days.map((d) => d.game_date),
      y: s.days.map((_, j) => {
        let total = 0;
        let weights = 0;
        for (const d of s.days.slice(Math.max(0, j - ROLLING + 1), j + 1)) {
          if (isNum(d[field]) && d[weight] > 0) {
            total += d[field] * d[weight];
            weights += d[weight];
          }
        }
        return weights > 0 ? total / weights : null;
      }),
      line: { color: COLORS[i % COLORS.length], dash: DASHES[i % DASHES.length], width: 2 },
      connectgaps: false,
    }));
  const days = new Set(perf.daily.flatMap((s) => s.days.map((d) => d.game_date))).size;
  const xaxis = { type: "date", tickformat: "%b %d", ...(days <= 14 ? { dtick: 86400000 } : {}) };
  plot("chart-mae", series("mae", "n"), {
    xaxis,
    yaxis: { title: { text: "MAE" } },
  });
  plot("chart-hit", series("hit_rate", "n_picks"), {
    xaxis,
    yaxis: { title: { text: "hit rate" }, tickformat: ".0%" },
    shapes: [{ type: "line", xref: "paper", x0: 0, x1: 1, y0: 0.5238, y1: 0.5238, line: { color: "#4f5965", dash: "dot" } }],
  });
  plot("chart-roi", series("roi", "n_picks"), {
    xaxis,
    yaxis: { title: { text: "ROI" }, tickformat: ".0%" },
  });
}

async function calibrationPage() {
  const perf = await load("performance.json");
  stamp(perf);
  const select = document.getElementById("system");
  const systems = perf.calibration.map((c) => c.system_id);
  options(select, systems.map((s) => [s, s]), systems.includes("ensemble") ? "ensemble" : systems[0]);
  const refresh = () => {
    const table = perf.calibration.find((c) => c.system_id === select.value);
    const bins = table ? table.bins : [];
    const low = Math.min(0.3, ...bins.map((b) => b.p_low));
    const high = Math.max(0.7, ...bins.map((b) => b.p_high));
    const span = [Math.max(0, low - 0.05), Math.min(1, high + 0.05)];
    plot(
      "chart-calibration",
      [
        {
          type: "scatter",
          mode: "lines",
          name: "perfect",
          x: [0, 1],
          y: [0, 1],
          line: { color: "#8a949e", dash: "dash" },
          hoverinfo: "skip",
        },
        {
          type: "scatter",
          mode: "markers+lines",
          name: table ? table.system_id : "",
          x: bins.map((b) => b.claimed),
          y: bins.map((b) => b.realized),
          error_y: {
            type: "data",
            symmetric: false,
            array: bins.map((b) => b.realized_high - b.realized),
            arrayminus: bins.map((b) => b.realized - b.realized_low),
            color: "#0b5cad",
          },
          marker: { color: "#0b5cad", size: 8 },
          text: bins.map((b) => `${b.n} rows`),
          hovertemplate: "claimed %{x:.3f}, realized %{y:.3f} (%{text})<extra></extra>",
        },
      ],
      {
        xaxis: { title: { text: "claimed P(over)" }, range: span },
        yaxis: { title: { text: "share that went over" }, range: [0, 1] },
        showlegend: false,
      },
    );
    renderTable(
      document.getElementById("bins"),
      [
        { key: "bin", label: "Bin", num: true, show: (b) => String(bins.indexOf(b) + 1) },
        { key: "n", label: "N", num: true, show: (b) => String(b.n) },
        { key: "range", label: "P range", num: true, show: (b) => `${num(b.p_low, 3)}–${num(b.p_high, 3)}` },
        { key: "claimed", label: "Claimed", num: true, show: (b) => num(b.claimed, 3) },
        { key: "realized", label: "Realized", num: true, show: (b) => num(b.realized, 3) },
        { key: "interval", label: "95% interval", num: true, show: (b) => `${num(b.realized_low, 3)}–${num(b.realized_high, 3)}` },
      ],
      bins,
      { empty: "Nothing graded yet." },
    );
  };
  select.addEventListener("change", refresh);
  refresh();
}

async function healthPage() {
  const status = await load("status.json");
  stamp(status);
  const badge = document.querySelector('[data-field="healthy"]');
  badge.textContent = status.healthy ? "Healthy" : "Needs attention";
  badge.classList.add(status.healthy ? "ok" : "bad");
  const counts = status.step_counts.map((c) => `${c.count} ${c.status}`).join(", ") || "no runs";
  const credits = status.odds_credits ? `${status.odds_credits.remaining} Odds API credits left` : "Odds API credits not reported";
  setField(
    "summary",
    `As of ${status.game_date}: ${counts}; ${status.quarantined_total} payloads quarantined; ` +
      `${status.alerts.length} alerts in the last 7 days; ${credits}.`,
  );
  renderTable(
    document.getElementById("steps"),
    [
      { key: "game_date", label: "Date", show: (r) => r.game_date || "(range)" },
      { key: "step", label: "Step", show: (r) => r.step },
      { key: "status", label: "Status", show: (r) => r.status, cls: (r) => `status-${r.status}` },
      { key: "rows_in", label: "Rows in", num: true, show: (r) => (r.rows_in === null ? dash : String(r.rows_in)) },
      { key: "rows_out", label: "Rows out", num: true, show: (r) => (r.rows_out === null ? dash : String(r.rows_out)) },
      { key: "finished_at", label: "Finished", show: (r) => when(r.finished_at) },
      { key: "error", label: "Error", show: (r) => r.error || "" },
    ],
    status.steps,
    { empty: "No step has run." },
  );
  renderTable(
    document.getElementById("sources"),
    [
      { key: "source", label: "Source", show: (r) => r.source },
      { key: "last_game_date", label: "Last date served", show: (r) => r.last_game_date },
      { key: "last_served_at", label: "Served at", show: (r) => when(r.last_served_at) },
    ],
    status.sources,
    { empty: "No source has served anything." },
  );
  renderTable(
    document.getElementById("degraded"),
    [
      { key: "game_date", label: "Date", show: (r) => r.game_date },
      { key: "fact", label: "Fact", show: (r) => r.fact },
      { key: "source", label: "Source", show: (r) => r.source },
      { key: "status", label: "Status", show: (r) => r.status, cls: (r) => `status-${r.status}` },
      { key: "reason", label: "Reason", show: (r) => r.reason || "" },
    ],
    status.degraded,
    { empty: "No degraded or failed fact." },
  );
  renderTable(
    document.getElementById("quarantine"),
    [
      { key: "kind", label: "Kind", show: (r) => r.kind },
      { key: "count", label: "Payloads", num: true, show: (r) => String(r.count) },
      { key: "last_at", label: "Last", show: (r) => when(r.last_at) },
    ],
    status.quarantine,
    { empty: "Nothing quarantined." },
  );
  renderTable(
    document.getElementById("alerts"),
    [
      { key: "raised_at", label: "Raised", show: (r) => when(r.raised_at) },
      { key: "severity", label: "Severity", show: (r) => r.severity },
      { key: "kind", label: "Kind", show: (r) => r.kind },
      { key: "message", label: "Message", show: (r) => r.message },
    ],
    status.alerts,
    { empty: "No alert in the last 7 days." },
  );
}

const PAGES = {
  index: tonightPage,
  player: playerPage,
  performance: performancePage,
  calibration: calibrationPage,
  health: healthPage,
};

document.addEventListener("DOMContentLoaded", () => {
  const page = PAGES[document.body.dataset.page];
  page().then(
    () => {
      performance.mark("nbaprops-ready");
      document.body.setAttribute("data-ready", "true");
    },
    (error) => fail(error),
  );
});
