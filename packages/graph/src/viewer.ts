/*
 * The stylesheet and script of the HTML viewer, inlined into every page `toHtml` writes. The
 * script is plain ES2020 kept as text (not a compiled function), so that no bundler or loader can
 * rewrite it; it reads the graph from the page's JSON block and the drawing from the inline SVG,
 * and never touches the network. Everything it shows goes through textContent, never innerHTML.
 */

export const VIEWER_CSS = `
* { box-sizing: border-box; }
html, body { margin: 0; height: 100%; font: 13px/1.4 -apple-system, "Segoe UI", Helvetica, Arial, sans-serif; color: #1f2328; }
body { display: flex; flex-direction: column; }
header { display: flex; align-items: center; gap: 12px; padding: 8px 12px; border-bottom: 1px solid #d0d7de; background: #f6f8fa; flex-wrap: wrap; }
header h1 { font-size: 15px; margin: 0; font-weight: 600; }
header .stats { color: #59636e; }
#search { flex: 0 1 260px; padding: 4px 8px; border: 1px solid #d0d7de; border-radius: 6px; font: inherit; }
#search-count { color: #59636e; min-width: 6em; }
.zoom { margin-left: auto; display: flex; gap: 4px; }
.zoom button { font: inherit; min-width: 30px; padding: 3px 8px; border: 1px solid #d0d7de; border-radius: 6px; background: #fff; cursor: pointer; }
.zoom button:hover { background: #eef1f4; }
main { flex: 1; display: flex; min-height: 0; }
#canvas { flex: 1; position: relative; overflow: hidden; background: #fff; cursor: grab; touch-action: none; }
#canvas.dragging { cursor: grabbing; }
#canvas > svg { width: 100%; height: 100%; display: block; user-select: none; }
#canvas g.node { cursor: pointer; }
#canvas g.node.selected polygon, #canvas g.node.selected path, #canvas g.node.selected ellipse { stroke: #e8590c; stroke-width: 3px; }
#canvas g.edge.linked path { stroke: #e8590c; stroke-width: 2px; }
#canvas g.edge.linked polygon { stroke: #e8590c; fill: #e8590c; }
#canvas svg.searching g.node:not(.match) { opacity: 0.25; }
#canvas svg.searching g.edge { opacity: 0.25; }
#canvas g.node.match polygon, #canvas g.node.match path, #canvas g.node.match ellipse { stroke: #1a7f37; stroke-width: 3px; }
#panel { width: 340px; flex: none; border-left: 1px solid #d0d7de; overflow: auto; padding: 12px 14px; background: #fbfcfd; }
#panel h2 { font-size: 15px; margin: 0 0 6px; word-break: break-all; }
#panel h3 { font-size: 12px; text-transform: uppercase; letter-spacing: 0.04em; color: #59636e; margin: 14px 0 4px; }
#panel .hint { color: #59636e; }
#panel dl { display: grid; grid-template-columns: max-content 1fr; gap: 2px 10px; margin: 6px 0; }
#panel dt { color: #59636e; }
#panel dd { margin: 0; font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; word-break: break-all; }
#panel ol, #panel ul { margin: 4px 0; padding-left: 20px; }
#panel button.link { border: none; background: none; padding: 0; color: #0969da; cursor: pointer; font: inherit; text-align: left; }
#panel button.link:hover { text-decoration: underline; }
.badge { display: inline-block; padding: 1px 8px; border-radius: 10px; border: 1px solid; font-size: 11px; margin-right: 4px; }
.legend { display: flex; flex-wrap: wrap; gap: 4px; margin-top: 6px; }
#results li { margin: 1px 0; }
`;

export const VIEWER_JS = `
(function () {
  'use strict';
  var graph = JSON.parse(document.getElementById('tapegrad-graph').textContent);
  var palette = JSON.parse(document.getElementById('tapegrad-palette').textContent);
  var byId = {}, inputsOf = {}, usersOf = {};
  var outputs = {};
  graph.outputs.forEach(function (id) { outputs[id] = true; });
  graph.nodes.forEach(function (n) { byId[n.id] = n; inputsOf[n.id] = []; usersOf[n.id] = []; });
  graph.edges.forEach(function (e) {
    if (inputsOf[e.to]) inputsOf[e.to].push(e);
    if (usersOf[e.from]) usersOf[e.from].push(e);
  });

  var canvas = document.getElementById('canvas');
  var svg = canvas.querySelector('svg');
  var panel = document.getElementById('details');
  var results = document.getElementById('results');
  var search = document.getElementById('search');
  var searchCount = document.getElementById('search-count');

  function el(tag, text, cls) {
    var e = document.createElement(tag);
    if (text !== undefined && text !== null) e.textContent = String(text);
    if (cls) e.className = cls;
    return e;
  }
  function shapeText(shape) { return '[' + shape.join(',') + ']'; }
  function styleKey(n) {
    if (outputs[n.id]) return 'output';
    if (n.op === 'module' && n.group) return 'module';
    return n.kind;
  }
  function badge(key, text) {
    var b = el('span', text || key, 'badge');
    var p = palette[key];
    if (p) { b.style.background = p.fill; b.style.borderColor = p.stroke; }
    return b;
  }
  function title(n) {
    if (n.op === 'module' && n.group) return n.name;
    if (n.kind === 'op') return n.name ? n.name + ' = ' + n.op : n.op;
    if (n.name) return n.name;
    if (n.value !== undefined) return String(n.value);
    return n.kind === 'leaf' ? 'input' : n.kind;
  }
  function fmt(v) {
    if (v === null || v === undefined) return '-';
    if (typeof v !== 'number') return String(v);
    if (v === 0 || !isFinite(v)) return String(v);
    var a = Math.abs(v);
    return a >= 1e4 || a < 1e-3 ? v.toExponential(4) : String(Number(v.toPrecision(6)));
  }

  // Node and edge elements of the drawing, found by the ids Graphviz put in their <title>.
  var nodeEls = {}, edgeEls = [];
  Array.prototype.forEach.call(svg.querySelectorAll('g.node'), function (g) {
    var t = g.querySelector('title');
    var id = t ? t.textContent.trim() : '';
    if (!byId[id]) return;
    g.setAttribute('data-id', id);
    nodeEls[id] = g;
    var n = byId[id];
    t.textContent = title(n) + ' ' + shapeText(n.shape);
    g.addEventListener('click', function (ev) {
      if (moved) return;
      ev.stopPropagation();
      select(id);
    });
  });
  Array.prototype.forEach.call(svg.querySelectorAll('g.edge'), function (g) {
    var t = g.querySelector('title');
    var m = t ? /^(\\S+?)->(\\S+)$/.exec(t.textContent.trim()) : null;
    if (m) edgeEls.push({ from: m[1], to: m[2], el: g });
  });

  // Pan and zoom by moving the SVG viewBox.
  svg.removeAttribute('width');
  svg.removeAttribute('height');
  svg.setAttribute('preserveAspectRatio', 'xMidYMid meet');
  var base = svg.viewBox.baseVal;
  var full = { x: base.x, y: base.y, w: base.width, h: base.height };
  var view = { x: full.x, y: full.y, w: full.w, h: full.h };
  function apply() { svg.setAttribute('viewBox', view.x + ' ' + view.y + ' ' + view.w + ' ' + view.h); }
  function toSvg(clientX, clientY) {
    var m = svg.getScreenCTM();
    if (!m) return { x: view.x + view.w / 2, y: view.y + view.h / 2 };
    var p = new DOMPoint(clientX, clientY).matrixTransform(m.inverse());
    return { x: p.x, y: p.y };
  }
  function zoomAt(factor, cx, cy) {
    var w = view.w * factor;
    if (w < full.w / 50 || w > full.w * 20) return;
    view.x = cx - (cx - view.x) * factor;
    view.y = cy - (cy - view.y) * factor;
    view.w = w;
    view.h = view.h * factor;
    apply();
  }
  function fit() { view = { x: full.x, y: full.y, w: full.w, h: full.h }; apply(); }
  canvas.addEventListener('wheel', function (ev) {
    ev.preventDefault();
    var p = toSvg(ev.clientX, ev.clientY);
    zoomAt(Math.exp(ev.deltaY * 0.0015), p.x, p.y);
  }, { passive: false });
  var drag = null, moved = false;
  canvas.addEventListener('pointerdown', function (ev) {
    if (ev.button !== 0) return;
    drag = { x: ev.clientX, y: ev.clientY, start: toSvg(ev.clientX, ev.clientY) };
    moved = false;
  });
  window.addEventListener('pointermove', function (ev) {
    if (!drag) return;
    if (!moved && Math.abs(ev.clientX - drag.x) + Math.abs(ev.clientY - drag.y) < 4) return;
    if (!moved) { moved = true; canvas.classList.add('dragging'); }
    var p = toSvg(ev.clientX, ev.clientY);
    view.x -= p.x - drag.start.x;
    view.y -= p.y - drag.start.y;
    apply();
  });
  window.addEventListener('pointerup', function () {
    drag = null;
    canvas.classList.remove('dragging');
    setTimeout(function () { moved = false; }, 0);
  });
  canvas.addEventListener('click', function () { if (!moved) select(null); });
  document.getElementById('zoom-in').addEventListener('click', function () { zoomAt(1 / 1.25, view.x + view.w / 2, view.y + view.h / 2); });
  document.getElementById('zoom-out').addEventListener('click', function () { zoomAt(1.25, view.x + view.w / 2, view.y + view.h / 2); });
  document.getElementById('zoom-fit').addEventListener('click', fit);

  function centerOn(id) {
    var g = nodeEls[id];
    if (!g) return;
    var r = g.getBoundingClientRect();
    var c = toSvg(r.left + r.width / 2, r.top + r.height / 2);
    view.x = c.x - view.w / 2;
    view.y = c.y - view.h / 2;
    apply();
  }

  // The side panel.
  function nodeLink(id, prefix) {
    var n = byId[id];
    var b = el('button', prefix + (n ? title(n) + ' ' + shapeText(n.shape) : id) + ' (' + id + ')', 'link');
    b.addEventListener('click', function () { select(id); centerOn(id); });
    return b;
  }
  function addRows(dl, rows) {
    rows.forEach(function (r) {
      if (r[1] === undefined) return;
      dl.appendChild(el('dt', r[0]));
      var dd = el('dd', r[1]);
      dd.setAttribute('data-field', r[2] || r[0]);
      dl.appendChild(dd);
    });
  }
  function showHint() {
    panel.textContent = '';
    panel.appendChild(el('p', 'Click a node to see its op, shape, dtype, attributes and gradient statistics. Drag to pan, scroll or use the buttons to zoom, type in the search box to find nodes by name, op or module.', 'hint'));
    var legend = el('div', null, 'legend');
    [['leaf', 'input'], ['param', 'parameter'], ['constant', 'constant'], ['op', 'op'], ['module', 'module'], ['output', 'output']].forEach(function (k) {
      legend.appendChild(badge(k[0], k[1]));
    });
    panel.appendChild(legend);
  }
  var selected = null;
  function select(id) {
    if (selected && nodeEls[selected]) nodeEls[selected].classList.remove('selected');
    edgeEls.forEach(function (e) { e.el.classList.remove('linked'); });
    selected = id && byId[id] ? id : null;
    if (!selected) { showHint(); return; }
    var n = byId[selected];
    if (nodeEls[selected]) nodeEls[selected].classList.add('selected');
    edgeEls.forEach(function (e) { if (e.from === selected || e.to === selected) e.el.classList.add('linked'); });
    panel.textContent = '';
    panel.appendChild(el('h2', title(n)));
    var kindText = n.op === 'module' && n.group ? 'module' : n.kind;
    panel.appendChild(badge(styleKey(n), outputs[n.id] ? kindText + ', output' : kindText));
    var dl = el('dl');
    addRows(dl, [
      ['id', n.id],
      ['op', n.op],
      ['name', n.name],
      ['module', n.module],
      ['shape', shapeText(n.shape)],
      ['dtype', n.dtype],
      ['requires grad', String(n.requiresGrad), 'requiresGrad'],
      ['value', n.value === undefined ? undefined : fmt(n.value)],
    ]);
    panel.appendChild(dl);

    panel.appendChild(el('h3', 'Attributes'));
    var attrs = n.attrs ? Object.keys(n.attrs) : [];
    if (attrs.length === 0) panel.appendChild(el('p', 'none', 'hint'));
    else {
      var adl = el('dl');
      addRows(adl, attrs.map(function (k) { return [k, JSON.stringify(n.attrs[k]), 'attr-' + k]; }));
      panel.appendChild(adl);
    }

    panel.appendChild(el('h3', 'Gradient'));
    if (!n.grad) panel.appendChild(el('p', n.kind === 'op' ? 'not kept (only leaves keep .grad)' : 'no .grad (run backward first)', 'hint'));
    else {
      var gdl = el('dl');
      addRows(gdl, [
        ['shape', shapeText(n.grad.shape), 'grad-shape'], ['dtype', n.grad.dtype, 'grad-dtype'],
        ['norm', fmt(n.grad.norm), 'grad-norm'], ['min', fmt(n.grad.min), 'grad-min'], ['max', fmt(n.grad.max), 'grad-max'],
        ['NaN', String(n.grad.nanCount), 'grad-nan'], ['Inf', String(n.grad.infCount), 'grad-inf'],
      ]);
      panel.appendChild(gdl);
    }

    if (n.time) {
      panel.appendChild(el('h3', 'Time (profileOps)'));
      var tdl = el('dl');
      addRows(tdl, [['forward', fmt(n.time.forwardMs) + ' ms', 'time-forward'], ['backward', fmt(n.time.backwardMs) + ' ms', 'time-backward']]);
      panel.appendChild(tdl);
    }

    if (n.group) {
      panel.appendChild(el('h3', 'Module contents'));
      var mdl = el('dl');
      addRows(mdl, Object.keys(n.group.ops).map(function (k) { return [k, String(n.group.ops[k]), 'op-' + k]; }));
      panel.appendChild(mdl);
      if (n.group.params.length > 0) {
        var pl = el('ul');
        n.group.params.forEach(function (p) { pl.appendChild(el('li', p)); });
        panel.appendChild(el('h3', 'Parameters'));
        panel.appendChild(pl);
      }
    }
    var ins = inputsOf[n.id].slice().sort(function (a, b) { return a.inputIndex - b.inputIndex; });
    if (ins.length > 0) {
      panel.appendChild(el('h3', 'Inputs'));
      var ol = el('ul');
      ins.forEach(function (e) {
        var li = el('li');
        li.appendChild(nodeLink(e.from, 'arg ' + e.inputIndex + ': '));
        ol.appendChild(li);
      });
      panel.appendChild(ol);
    }
    var users = usersOf[n.id];
    if (users.length > 0) {
      panel.appendChild(el('h3', 'Used by'));
      var ul = el('ul');
      users.forEach(function (e) {
        var li = el('li');
        li.appendChild(nodeLink(e.to, ''));
        ul.appendChild(li);
      });
      panel.appendChild(ul);
    }
  }

  // Search by name, op, module or id.
  var matches = [];
  function runSearch() {
    var q = search.value.trim().toLowerCase();
    Object.keys(nodeEls).forEach(function (id) { nodeEls[id].classList.remove('match'); });
    results.textContent = '';
    matches = [];
    if (!q) { svg.classList.remove('searching'); searchCount.textContent = ''; return; }
    graph.nodes.forEach(function (n) {
      var hay = [n.id, n.name || '', n.op || '', n.module || '', n.kind].join(' ').toLowerCase();
      if (hay.indexOf(q) >= 0) matches.push(n.id);
    });
    svg.classList.add('searching');
    matches.forEach(function (id) { if (nodeEls[id]) nodeEls[id].classList.add('match'); });
    searchCount.textContent = matches.length + (matches.length === 1 ? ' match' : ' matches');
    matches.slice(0, 100).forEach(function (id) {
      var li = el('li');
      li.appendChild(nodeLink(id, ''));
      results.appendChild(li);
    });
  }
  search.addEventListener('input', runSearch);
  search.addEventListener('keydown', function (ev) {
    if (ev.key === 'Enter' && matches.length > 0) { select(matches[0]); centerOn(matches[0]); }
    if (ev.key === 'Escape') { search.value = ''; runSearch(); }
  });
  document.addEventListener('keydown', function (ev) {
    if (ev.key === 'Escape' && document.activeElement !== search) select(null);
  });

  apply();
  showHint();
  document.body.setAttribute('data-ready', 'true');
})();
`;
