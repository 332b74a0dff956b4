// The console works without this script; it only keeps the waiting lists
// live (server-sent events with server-rendered lists) and copies links.
(function () {
  'use strict';

  function refocus(box, act, entry) {
    if (!act) { return; }
    var b = box.querySelector('button[data-act="' + act + '"][data-entry="' + entry + '"]');
    if (b) { b.focus(); }
  }

  var src = document.querySelector('[data-events]');
  if (src && window.EventSource) {
    var es = new EventSource(src.getAttribute('data-events'));
    // The server ends the stream when the session ends; the reconnect is then
    // refused and the page reloads into the login form instead of going stale.
    es.addEventListener('error', function () {
      if (es.readyState === EventSource.CLOSED) { window.location.reload(); }
    });
    es.addEventListener('lobby', function (ev) {
      var d;
      try { d = JSON.parse(ev.data); } catch (e) { return; }
      var box = document.getElementById('lobby-' + d.appointment);
      if (!box || box.getAttribute('data-html') === d.html) { return; }
      var f = document.activeElement, act = null, entry = null;
      if (f && box.contains(f) && f.getAttribute) { act = f.getAttribute('data-act'); entry = f.getAttribute('data-entry'); }
      box.innerHTML = d.html;
      box.setAttribute('data-html', d.html);
      refocus(box, act, entry);
      var n = document.getElementById('count-' + d.appointment);
      if (n) { n.textContent = String(d.count); }
    });
  }

  // Forms that cannot be undone ask first.
  document.addEventListener('submit', function (e) {
    var f = e.target;
    var q = f.getAttribute && f.getAttribute('data-confirm');
    if (q && !window.confirm(q)) { e.preventDefault(); }
  });

  document.addEventListener('click', function (e) {
    var b = e.target.closest && e.target.closest('[data-copy]');
    if (!b) { return; }
    var input = document.getElementById(b.getAttribute('data-copy'));
    if (!input) { return; }
    input.select();
    if (navigator.clipboard) { navigator.clipboard.writeText(input.value); }
    b.textContent = b.getAttribute('data-done');
  });
}());
