'use strict';

// The operator's page. Every figure comes from the service's own API; a panel is a template in
// index.html plus an entry in PANELS (what role it needs, how often it refreshes, how it loads).
(() => {
  const KEY = 'qa-embeddings.key';
  // Okabe and Ito's palette: told apart with every common colour-vision deficiency
  const COLOURS = ['#0072B2', '#E69F00', '#009E73', '#CC79A7', '#56B4E9', '#D55E00', '#F0E442', '#000000'];
  const DAYS = 30;

  const $ = (selector, root = document) => root.querySelector(selector);
  const count = (n) => n == null ? '–' : Number(n).toLocaleString('en-US');
  const usd = (n) => n == null ? '–' : '$' + Number(n).toLocaleString('en-US', {minimumFractionDigits: 2, maximumFractionDigits: 6});
  const percent = (r) => r == null ? '–' : (r * 100).toFixed(1) + ' %';
  const duration = (s) => {
    if (s == null) return '–';
    if (s < 120) return s + ' s';
    if (s < 7200) return Math.floor(s / 60) + ' min';
    if (s < 172800) return Math.floor(s / 3600) + ' h';
    return Math.floor(s / 86400) + ' d';
  };
  const time = (iso) => iso == null ? '–' : new Date(iso).toLocaleString('en-GB', {dateStyle: 'short', timeStyle: 'medium'});

  let role = 'none';

  function show(text) {
    const message = $('#message');
    message.textContent = text || '';
    message.hidden = !text;
  }

  function headers(extra) {
    const h = Object.assign({Accept: 'application/json'}, extra);
    const key = sessionStorage.getItem(KEY);
    if (key) h.Authorization = 'Bearer ' + key;
    return h;
  }

  /** A call of the API: its JSON, or an Error carrying the problem's detail. */
  async function api(path, options = {}) {
    const response = await fetch(path, Object.assign({}, options, {headers: headers(options.headers)}));
    const body = response.headers.get('Content-Type')?.includes('json') ? await response.json() : null;
    if (!response.ok) {
      const error = new Error(body?.detail || body?.title || (response.status + ' ' + response.statusText));
      error.status = response.status;
      throw error;
    }
    return body;
  }

  function fill(root, values, format = {}) {
    root.querySelectorAll('[data-figure]').forEach((element) => {
      const name = element.dataset.figure;
      if (!(name in values)) return;
      const value = values[name];
      element.dataset.value = value == null ? '' : String(value);
      element.textContent = format[name] ? format[name](value) : (value == null ? '–' : String(value));
    });
  }

  // ---- panels ----

  const pipeline = {
    template: 'panel-pipeline', role: 'client', every: 5000,
    async load(root) {
      const stats = await api('/api/embeddings/health');
      fill(root, Object.assign({}, stats, {updated: new Date().toISOString()}), {
        pendingCount: count, processingCount: count, completedCount: count, failedCount: count, deadLetterCount: count,
        successRate: percent, oldestPendingAgeSeconds: duration,
        pausedReason: (r) => r ? 'Paused: ' + r : 'Calls to the provider go out.',
        updated: (iso) => new Date(iso).toLocaleTimeString('en-GB'),
      });
      root.querySelector('[data-figure="circuitState"]').className = 'circuit-' + stats.circuitState.toLowerCase();
    },
  };

  const spend = {
    template: 'panel-spend', role: 'admin', every: 60000,
    init(root) {
      const select = $('#spend-zone', root);
      const local = Intl.DateTimeFormat().resolvedOptions().timeZone;
      for (const zone of [...new Set(['UTC', local])]) {
        select.append(new Option(zone === local && zone !== 'UTC' ? zone + ' (this browser)' : zone, zone));
      }
      select.addEventListener('change', () => refresh(spend));
    },
    async load(root) {
      const zone = $('#spend-zone', root).value || 'UTC';
      const [report, budget] = await Promise.all([
        api('/api/embeddings/costs?zone=' + encodeURIComponent(zone)), api('/api/embeddings/budget')]);
      fill(root, {todayUsd: budget.todayUsd, monthUsd: budget.monthUsd, totalUsd: report.total.costUsd}, {
        todayUsd: (v) => usd(v) + (budget.dailyUsd != null ? ' of ' + usd(budget.dailyUsd) : ''),
        monthUsd: (v) => usd(v) + (budget.monthlyUsd != null ? ' of ' + usd(budget.monthlyUsd) : ''),
        totalUsd: usd,
      });
      drawSpend(root, report);
    },
  };

  /** Daily cost per model (purposes added up), as stacked bars in SVG and as a table. */
  function drawSpend(root, report) {
    const days = [];
    for (let d = new Date(report.from + 'T00:00:00Z'); days.length < DAYS; d.setUTCDate(d.getUTCDate() + 1)) {
      const day = d.toISOString().slice(0, 10);
      days.push(day);
      if (day === report.to) break;
    }
    const byDay = new Map(days.map((day) => [day, new Map()]));
    const models = [];
    for (const line of report.days) {
      if (!models.includes(line.model)) models.push(line.model);
      const day = byDay.get(line.day);
      if (!day) continue;
      const sum = day.get(line.model) || {calls: 0, tokens: 0, costUsd: 0};
      sum.calls += line.calls;
      sum.tokens += line.tokens;
      sum.costUsd += Number(line.costUsd);
      day.set(line.model, sum);
    }
    const colour = (model) => COLOURS[models.indexOf(model) % COLOURS.length];
    const top = Math.max(...days.map((day) => [...byDay.get(day).values()].reduce((a, s) => a + s.costUsd, 0)), 0);
    const width = 600, height = 200, left = 56, bottom = 20;
    const step = (width - left) / days.length;
    const svgNs = 'http://www.w3.org/2000/svg';
    const svg = document.createElementNS(svgNs, 'svg');
    svg.setAttribute('viewBox', `0 0 ${width} ${height}`);
    svg.setAttribute('aria-hidden', 'true');
    const element = (name, attributes, text) => {
      const e = document.createElementNS(svgNs, name);
      Object.entries(attributes).forEach(([k, v]) => e.setAttribute(k, v));
      if (text != null) e.textContent = text;
      svg.append(e);
      return e;
    };
    const plot = height - bottom;
    element('line', {x1: left, y1: plot, x2: width, y2: plot, class: 'axis'});
    if (top > 0) {
      element('text', {x: left - 4, y: 10, class: 'tick', 'text-anchor': 'end'}, usd(top));
    }
    element('text', {x: left - 4, y: plot, class: 'tick', 'text-anchor': 'end'}, '$0');
    days.forEach((day, i) => {
      let y = plot;
      for (const model of models) {
        const sum = byDay.get(day).get(model);
        if (!sum || top === 0) continue;
        const h = Math.max(1, (sum.costUsd / top) * (plot - 8));
        const bar = element('rect', {x: left + i * step + 1, y: y - h, width: Math.max(1, step - 2), height: h,
          fill: colour(model), 'data-day': day, 'data-model': model, 'data-usd': sum.costUsd});
        const title = document.createElementNS(svgNs, 'title');
        title.textContent = `${day} ${model}: ${usd(sum.costUsd)}`;
        bar.append(title);
        y -= h;
      }
      if ((days.length - 1 - i) % 7 === 0) {
        const last = i === days.length - 1;
        element('text', {x: last ? width : left + i * step + step / 2, y: height - 4, class: 'tick',
          'text-anchor': last ? 'end' : 'middle'}, day.slice(5));
      }
    });
    $('#spend-chart', root).replaceChildren(svg);
    $('#spend-legend', root).replaceChildren(...models.map((model) => {
      const item = document.createElement('li');
      const swatch = document.createElement('span');
      swatch.className = 'swatch';
      swatch.style.background = colour(model);
      item.append(swatch, model);
      return item;
    }));
    const rows = [];
    for (const day of [...days].reverse()) {
      for (const [model, sum] of byDay.get(day)) {
        const row = document.createElement('tr');
        row.dataset.day = day;
        row.dataset.model = model;
        for (const cell of [day, model, count(sum.calls), count(sum.tokens), usd(sum.costUsd)]) {
          const td = document.createElement('td');
          td.textContent = cell;
          row.append(td);
        }
        rows.push(row);
      }
    }
    $('#spend-table tbody', root).replaceChildren(...rows);
  }

  const failures = {
    template: 'panel-failures', role: 'admin', every: 10000,
    init(root) {
      $('#retry-all', root).addEventListener('click', () => act(root, () => api('/api/embeddings/retry', {method: 'POST'})));
    },
    async load(root) {
      const page = await api('/api/embeddings/failed?newestFirst=true&size=50');
      const rows = page.items.map((item) => {
        const row = document.createElement('tr');
        row.dataset.id = item.qaPairId;
        const cells = [time(item.updatedAt), item.question, item.lastError, String(item.attempts),
          item.nextAttemptAt ? time(item.nextAttemptAt) : 'dead letter'];
        for (const text of cells) {
          const td = document.createElement('td');
          td.textContent = text;
          row.append(td);
        }
        const td = document.createElement('td');
        const button = document.createElement('button');
        button.type = 'button';
        button.textContent = 'Retry';
        button.setAttribute('aria-label', 'Retry ' + item.question);
        button.addEventListener('click', () => act(root, () => api('/api/embeddings/batch', {
          method: 'POST', headers: {'Content-Type': 'application/json'}, body: JSON.stringify({qaPairIds: [item.qaPairId]})})));
        td.append(button);
        row.append(td);
        return row;
      });
      $('#failures-table tbody', root).replaceChildren(...rows);
      $('#failures-table', root).hidden = rows.length === 0;
      $('#failures-empty', root).hidden = rows.length > 0;
    },
  };

  /** Runs a retry and shows its BatchResult, then reloads the figures it changed. */
  async function act(root, call) {
    const output = $('#retry-result', root);
    root.querySelectorAll('button').forEach((b) => { b.disabled = true; });
    output.textContent = 'Retrying…';
    try {
      const result = await call();
      output.textContent = `${result.successful} embedded, ${result.failed} failed`
        + (result.errors.length ? ': ' + result.errors.join('; ') : '');
      output.dataset.successful = result.successful;
      output.dataset.failed = result.failed;
    } catch (e) {
      output.textContent = 'Retry refused: ' + e.message;
    } finally {
      root.querySelectorAll('button').forEach((b) => { b.disabled = false; });
    }
    await Promise.all([refresh(failures), refresh(pipeline)]);
  }

  const reembed = {
    template: 'panel-reembed', role: 'admin', every: 5000,
    init(root) {
      $('#reembed-approve', root).addEventListener('click', async () => {
        try {
          await api('/api/embeddings/reembed', {method: 'POST'});
        } catch (e) {
          show(e.message);
        }
        await refresh(reembed);
      });
    },
    async load(root) {
      const p = await api('/api/embeddings/reembed');
      fill(root, {state: p.state, progress: p.done, estimatedCostUsd: p.estimatedCostUsd, etaSeconds: p.etaSeconds,
        setting: p.to}, {
        state: (s) => s === 'NONE' ? 'no change of setting yet' : s,
        progress: () => `${count(p.done)} of ${count(p.pairs)}`,
        estimatedCostUsd: usd, etaSeconds: duration,
        setting: (to) => to ? `${p.state === 'NONE' || p.state === 'DONE' ? 'Setting' : 'To'}: ${to.provider} ${to.model}`
          + (to.dimensions ? ` (${to.dimensions} dimensions)` : '') : '',
      });
      const bar = $('#reembed-progress', root);
      bar.value = p.pairs > 0 ? p.done / p.pairs : (p.state === 'DONE' ? 1 : 0);
      $('#reembed-approve', root).hidden = p.state !== 'AWAITING_APPROVAL';
    },
  };

  const search = {
    template: 'panel-search', role: 'client', every: 0,
    init(root) {
      $('#search-form', root).addEventListener('submit', async (event) => {
        event.preventDefault();
        const q = $('#search-q', root).value.trim();
        const mode = $('#search-mode', root).value;
        const status = $('#search-status', root);
        try {
          const answer = await api(`/api/search?k=10&mode=${mode}&q=${encodeURIComponent(q)}`);
          status.textContent = `${answer.hits.length} hit(s) in ${answer.tookMs} ms`
            + (answer.degraded ? ' (degraded: ' + answer.degraded + ')' : '');
          $('#search-hits', root).replaceChildren(...answer.hits.map((hit) => {
            const item = document.createElement('li');
            item.dataset.id = hit.id;
            const question = document.createElement('strong');
            question.textContent = hit.question;
            const answerText = document.createElement('p');
            answerText.textContent = hit.answer;
            const meta = document.createElement('small');
            meta.textContent = `score ${hit.score.toFixed(4)}` + (hit.embedding.fresh ? '' : ' · vector not current');
            item.append(question, answerText, meta);
            return item;
          }));
        } catch (e) {
          status.textContent = 'Search refused: ' + e.message;
        }
      });
    },
    async load() {
    },
  };

  const PANELS = [pipeline, reembed, spend, failures, search];

  async function refresh(panel) {
    if (!panel.root) return;
    try {
      await panel.load(panel.root);
      panel.root.classList.remove('stale');
    } catch (e) {
      panel.root.classList.add('stale');
      if (e.status === 401) {
        askForKey('The key is no longer accepted; enter it again.');
      } else {
        show(e.message);
      }
    }
  }

  function mount() {
    const container = $('#panels');
    container.replaceChildren();
    for (const panel of PANELS) {
      if (panel.role === 'admin' && role !== 'admin') continue;
      const root = $('#' + panel.template).content.firstElementChild.cloneNode(true);
      container.append(root);
      panel.root = root;
      if (panel.init) panel.init(root);
      refresh(panel);
      if (panel.every) panel.timer = setInterval(() => refresh(panel), panel.every);
    }
  }

  function unmount() {
    for (const panel of PANELS) {
      clearInterval(panel.timer);
      panel.root = null;
    }
    $('#panels').replaceChildren();
  }

  function askForKey(why) {
    unmount();
    sessionStorage.removeItem(KEY);
    $('#forget-key').hidden = true;
    $('#key-form').hidden = false;
    show(why);
    $('#key-input').focus();
  }

  /** Asks the service whether it wants a key and what the stored one may see, without a failing call. */
  async function start() {
    let access;
    try {
      access = await api('/dashboard/access');
    } catch (e) {
      show('The service does not answer: ' + e.message);
      return;
    }
    if (access.role === 'invalid' || (access.keysRequired && access.role === 'none')) {
      askForKey(access.role === 'invalid' ? 'That key is not valid.' : '');
      return;
    }
    role = access.role === 'none' ? 'admin' : access.role;
    $('#key-form').hidden = true;
    $('#forget-key').hidden = !access.keysRequired;
    show('');
    document.body.dataset.role = role;
    mount();
  }

  document.addEventListener('DOMContentLoaded', () => {
    $('#key-form').addEventListener('submit', (event) => {
      event.preventDefault();
      sessionStorage.setItem(KEY, $('#key-input').value.trim());
      $('#key-input').value = '';
      start();
    });
    $('#forget-key').addEventListener('click', () => askForKey('The key is forgotten.'));
    start();
  });
})();
