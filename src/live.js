// lecturegen serve: reloads this page after a rebuild of its lecture and shows build errors.
(function () {
  var build = null, box = null, video = document.querySelector("video");
  var parts = location.pathname.split("/").filter(Boolean);
  var slug = parts.length > 1 ? decodeURIComponent(parts[0]) : null;
  try {
    var resume = sessionStorage.getItem("lecturegen-time:" + location.pathname);
    if (resume && video) {
      sessionStorage.removeItem("lecturegen-time:" + location.pathname);
      video.addEventListener("loadedmetadata", function () {
        video.currentTime = Math.min(parseFloat(resume), video.duration || 0);
      }, { once: true });
    }
  } catch (e) {}
  function show(errors) {
    if (!box) {
      box = document.createElement("pre");
      box.id = "lecturegen-errors";
      box.setAttribute("role", "alert");
      box.style.cssText = "position:fixed;left:0;right:0;bottom:0;max-height:50vh;overflow:auto;" +
        "margin:0;padding:1em 1.5em;background:#3a0d0d;color:#fff;font:14px/1.45 monospace;" +
        "white-space:pre-wrap;z-index:2147483647;border-top:4px solid #ff5c5c;direction:ltr;text-align:left";
      document.body.appendChild(box);
    }
    box.textContent = "lecturegen: the last build failed. This page shows the last good version.\n\n" +
      errors.join("\n");
  }
  function hide() {
    if (box) { box.remove(); box = null; }
  }
  function connect() {
    var ws = new WebSocket((location.protocol === "https:" ? "wss://" : "ws://") +
      location.host + "/__lecturegen/live");
    ws.onmessage = function (event) {
      var m = JSON.parse(event.data);
      if (m.errors.length) show(m.errors); else hide();
      var mine = slug === null || m.changed.indexOf(slug) >= 0;
      if (build !== null && m.build !== build && mine) {
        try {
          if (video) sessionStorage.setItem("lecturegen-time:" + location.pathname, video.currentTime);
        } catch (e) {}
        location.reload();
        return;
      }
      build = m.build;
    };
    ws.onclose = function () { setTimeout(connect, 500); };
  }
  connect();
})();
