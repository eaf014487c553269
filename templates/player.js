// The embedded lecture player (lecturegen): the chapter list seeks the video (browsers do not
// show a chapters track themselves) and marks the chapter playing. Safe to load more than once.
(function () {
  function setUp(figure) {
    if (figure.dataset.lecturegenReady) return;
    figure.dataset.lecturegenReady = "1";
    var video = figure.querySelector("video");
    var items = figure.querySelectorAll(".lecturegen-chapters li");
    if (!video) return;
    figure.addEventListener("click", function (e) {
      var button = e.target.closest && e.target.closest("button[data-start]");
      if (!button) return;
      video.currentTime = parseFloat(button.getAttribute("data-start")) + 0.001;
      var played = video.play();
      if (played && played.catch) played.catch(function () {});
    });
    video.addEventListener("timeupdate", function () {
      var t = video.currentTime;
      items.forEach(function (li) {
        var on = t >= parseFloat(li.dataset.start) && t < parseFloat(li.dataset.end);
        li.classList.toggle("lecturegen-current", on);
      });
    });
  }
  function all() { document.querySelectorAll("figure.lecturegen").forEach(setUp); }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", all);
  else all();
})();
