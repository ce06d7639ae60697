/**
 * The status page: one self-contained HTML document (no outside assets, so it works offline). Its
 * script polls `status.json` (and `machines.json` when a new machine appears) every second with
 * the page's token and draws: the connection state, identity, uptime and counts; the actor tree
 * with each machine's statechart, the current states highlighted; the recent events. Everything is
 * put in with textContent (no markup from data).
 */
export function statusPageHtml(nonce: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="referrer" content="no-referrer">
<title>wtt daemon</title>
<style nonce="${nonce}">
  body { font: 14px/1.4 system-ui, sans-serif; margin: 1.5rem; color: #1d2330; background: #f7f8fa; }
  h1 { font-size: 1.2rem; margin: 0 0 .8rem; } h2 { font-size: 1rem; margin: 1.2rem 0 .4rem; }
  .badge { display: inline-block; padding: .1rem .6rem; border-radius: 1rem; font-weight: 600; background: #ccc; }
  .badge[data-state="live"] { background: #bfe8c6; } .badge[data-state="polling"] { background: #ffe3a3; }
  .badge[data-state="backoff"], .badge[data-state="unauthorized"] { background: #ffc2c2; }
  dl { display: grid; grid-template-columns: max-content 1fr; gap: .2rem 1rem; margin: 0; } dt { color: #667; }
  #offline { display: none; background: #ffc2c2; padding: .4rem .8rem; border-radius: .3rem; margin-bottom: .8rem; }
  body.offline #offline { display: block; }
  ul.tree { list-style: none; padding-left: 1.2rem; } ul.tree > li { margin: .4rem 0; }
  .actor-name { font-weight: 600; } code { background: #e8eaef; padding: 0 .3rem; border-radius: .2rem; }
  .chart { margin: .3rem 0 .3rem .2rem; }
  .state { border: 1px solid #c5cad3; border-radius: .4rem; padding: .15rem .5rem; margin: .2rem 0 .2rem 1rem; background: #fff; }
  .state.active { border-color: #2f8f46; background: #e3f6e7; }
  .state > .key { font-weight: 600; } .state.active > .key::after { content: " ●"; color: #2f8f46; }
  .edges { color: #667; font-size: 12px; margin-left: .4rem; }
  table { border-collapse: collapse; font-size: 12px; } td { padding: .1rem .6rem .1rem 0; vertical-align: top; }
</style>
</head>
<body>
<div id="offline">The daemon is not answering (stopped or restarting); retrying every second.</div>
<h1>wtt daemon · <span id="conn" class="badge" data-state="">…</span></h1>
<dl>
  <dt>agent</dt><dd id="agent">…</dd>
  <dt>connection</dt><dd id="since">…</dd>
  <dt>uptime</dt><dd id="uptime">…</dd>
  <dt>last catch-up</dt><dd id="catchup">…</dd>
  <dt>messages in</dt><dd id="intake">…</dd>
  <dt>outbox</dt><dd id="outbox">…</dd>
  <dt>tasks in progress</dt><dd id="tasks">…</dd>
  <dt>last error</dt><dd id="error">…</dd>
  <dt>version</dt><dd id="version">…</dd>
</dl>
<h2>Tasks</h2>
<table><tbody id="task-list"></tbody></table>
<h2>Actors</h2>
<ul class="tree" id="tree"></ul>
<h2>Recent events</h2>
<table><tbody id="events"></tbody></table>
<script nonce="${nonce}">
(() => {
  const token = new URLSearchParams(location.search).get('token') || '';
  const q = '?token=' + encodeURIComponent(token);
  const charts = {};
  const $ = (id) => document.getElementById(id);
  const el = (tag, cls, text) => { const e = document.createElement(tag); if (cls) e.className = cls; if (text !== undefined) e.textContent = text; return e; };
  const dur = (s) => s < 90 ? Math.round(s) + ' s' : s < 5400 ? Math.round(s / 60) + ' min' : (s / 3600).toFixed(1) + ' h';
  const valueText = (v) => v === null || v === undefined ? '' : typeof v === 'string' ? v : JSON.stringify(v);

  function drawChart(node, active) {
    const box = el('div', 'state' + (active.includes(node.path) ? ' active' : ''));
    box.dataset.path = node.path;
    box.appendChild(el('span', 'key', node.key));
    if (node.edges.length) box.appendChild(el('span', 'edges', node.edges.map((e) => e.event + ' → ' + (e.target.split('.').pop() || e.target)).join(' · ')));
    for (const c of node.children) box.appendChild(drawChart(c, active));
    return box;
  }

  function drawTree(actors) {
    const bySession = new Map(actors.map((a) => [a.session, a]));
    const kids = new Map();
    for (const a of actors) {
      const p = a.parent && bySession.has(a.parent) ? a.parent : null;
      if (!kids.has(p)) kids.set(p, []);
      kids.get(p).push(a);
    }
    const list = (parent) => {
      const ul = el('ul', 'tree');
      for (const a of kids.get(parent) || []) {
        const li = el('li');
        li.dataset.actor = a.id;
        li.appendChild(el('span', 'actor-name', a.id));
        if (a.machine) {
          li.appendChild(document.createTextNode(' '));
          const v = el('code', 'value', valueText(a.value));
          v.dataset.value = valueText(a.value);
          li.appendChild(v);
          const chart = charts[a.machine];
          if (chart) { const c = el('div', 'chart'); for (const n of chart.children) c.appendChild(drawChart(n, a.active)); li.appendChild(c); }
        }
        if (kids.has(a.session)) li.appendChild(list(a.session));
        ul.appendChild(li);
      }
      return ul;
    };
    const tree = $('tree');
    tree.replaceChildren(...list(null).childNodes);
  }

  function draw(s) {
    const r = s.report;
    const conn = $('conn');
    const state = r ? r.connection.state : 'starting';
    conn.textContent = state;
    conn.dataset.state = state;
    $('agent').textContent = r ? (r.agent_id || '(registering)') + ' on ' + r.api_url : '…';
    $('since').textContent = r ? state + ' since ' + r.connection.since + (r.connection.reason ? ' (' + r.connection.reason + ')' : '') : '…';
    $('uptime').textContent = r ? dur(r.uptime_s) : '…';
    $('catchup').textContent = r && r.last_catchup ? r.last_catchup.at + ', ' + r.last_catchup.delivered + ' message(s)' : 'none yet';
    $('intake').textContent = r ? r.intake.delivered + ' (duplicates ' + r.intake.duplicates + ', invalid ' + r.intake.invalid + ', failed ' + r.intake.failed + ')' : '…';
    $('outbox').textContent = r && r.outbox ? (Object.entries(r.outbox).map(([k, v]) => k + ' ' + v).join(', ') || 'empty') : 'not available';
    $('tasks').textContent = r && r.tasks ? String(r.tasks.active) : 'not available';
    $('error').textContent = r && r.last_error ? r.last_error.at + ' ' + r.last_error.where + ': ' + r.last_error.message : 'none';
    $('version').textContent = r ? r.version + ' (pid ' + r.pid + ')' : '…';
    const tasks = r && r.tasks && r.tasks.tasks ? r.tasks.tasks : [];
    $('task-list').replaceChildren(...(tasks.length ? tasks : [null]).map((t) => {
      const tr = el('tr');
      if (!t) { tr.appendChild(el('td', '', 'none')); return tr; }
      tr.dataset.task = t.id;
      for (const x of [t.title, t.status + (t.phase ? ' · ' + t.phase : ''), 'run ' + t.run, t.reason || t.last_event || '']) tr.appendChild(el('td', '', String(x)));
      return tr;
    }));
    drawTree(s.actors);
    $('events').replaceChildren(...s.events.map((e) => {
      const tr = el('tr');
      for (const t of [e.at.slice(11, 23), (e.from ? e.from + ' → ' : '') + e.to, e.type]) tr.appendChild(el('td', '', t));
      return tr;
    }));
  }

  async function tick() {
    try {
      const res = await fetch('status.json' + q, { cache: 'no-store' });
      if (!res.ok) throw new Error(String(res.status));
      const s = await res.json();
      if (s.actors.some((a) => a.machine && !charts[a.machine])) Object.assign(charts, await (await fetch('machines.json' + q, { cache: 'no-store' })).json());
      document.body.classList.remove('offline');
      draw(s);
    } catch {
      document.body.classList.add('offline');
    }
    setTimeout(tick, 1000);
  }
  tick();
})();
</script>
</body>
</html>
`;
}
