/* Keeps the snapshot chosen in the URL (`?snapshot=VERSION`, "as published on") on every
   request the page makes: Dash's own requests (layout and callbacks) carry it as the
   X-Wholesystem-Snapshot header, and links within the dashboard (in-app navigation and
   full page loads, downloads included) keep the parameter. The server decides what the
   version may show (dashboard/access.py); this only carries the choice. */
(function () {
  'use strict';
  var PARAMETER = 'snapshot';
  var HEADER = 'X-Wholesystem-Snapshot';

  function chosen() {
    return new URLSearchParams(window.location.search).get(PARAMETER);
  }

  // A URL on this site without the parameter, with the chosen one added; else null.
  function withChoice(url) {
    var version = chosen();
    if (!version || url === undefined || url === null || url === '') return null;
    var next = new URL(String(url), window.location.href);
    if (next.origin !== window.location.origin || next.searchParams.has(PARAMETER)) return null;
    next.searchParams.set(PARAMETER, version);
    return next;
  }

  var originalFetch = window.fetch;
  window.fetch = function (input, init) {
    var version = chosen();
    var url = typeof input === 'string' ? input : (input && input.url) || '';
    var target = new URL(url, window.location.href);
    if (version && target.origin === window.location.origin &&
        target.pathname.indexOf('/_dash-') !== -1) {
      init = Object.assign({}, init);
      var headers = new Headers(init.headers || {});
      headers.set(HEADER, version);
      init.headers = headers;
    }
    return originalFetch.call(this, input, init);
  };

  // dcc.Link and dcc.Location move between pages with pushState.
  ['pushState', 'replaceState'].forEach(function (name) {
    var original = window.history[name];
    window.history[name] = function (state, title, url) {
      var next = withChoice(url);
      var kept = next ? next.pathname + next.search + next.hash : url;
      return original.call(window.history, state, title, kept);
    };
  });

  // Plain links (full page loads, downloads, new tabs) keep the choice too.
  function keepOnLink(event) {
    var link = event.target && event.target.closest ? event.target.closest('a[href]') : null;
    if (!link || link.getAttribute('href').charAt(0) === '#') return;
    var next = withChoice(link.getAttribute('href'));
    if (next) link.setAttribute('href', next.pathname + next.search + next.hash);
  }
  document.addEventListener('click', keepOnLink, true);
  document.addEventListener('auxclick', keepOnLink, true);

  // The picker: opening another snapshot reloads the page at the same address with it.
  window.dash_clientside = Object.assign({}, window.dash_clientside);
  window.dash_clientside.snapshot = {
    open: function (version) {
      var current = chosen();
      if (version && version !== current) {
        var next = new URL(window.location.href);
        next.searchParams.set(PARAMETER, version);
        window.location.assign(next.toString());
      }
      return window.dash_clientside.no_update;
    }
  };
})();
