// The chat page's few handlers: Enter to send (never mid-IME), follow the stream unless the
// reader scrolled up, stop a stream, copy an answer as Markdown, keep the URL on the chat.
(function () {
  "use strict";
  var follow = true;

  function log() { return document.getElementById("log"); }

  function atBottom(el) { return el.scrollHeight - el.scrollTop - el.clientHeight < 48; }

  function scrollDown() {
    var el = log();
    if (el && follow) { el.scrollTop = el.scrollHeight; }
  }

  document.addEventListener("keydown", function (event) {
    var target = event.target;
    if (!target || target.id !== "message" || event.key !== "Enter") { return; }
    if (event.shiftKey || event.isComposing || event.keyCode === 229) { return; }
    event.preventDefault();
    if (target.value.trim()) { target.form.requestSubmit(); }
  });

  document.addEventListener("scroll", function (event) {
    if (event.target === log()) { follow = atBottom(event.target); }
  }, true);

  document.addEventListener("htmx:afterRequest", function (event) {
    var form = event.detail.elt;
    if (form && form.id === "ask" && event.detail.successful) {
      form.querySelector("#message").value = "";
      follow = true;
    }
  });

  ["htmx:afterSwap", "htmx:sseMessage", "htmx:oobAfterSwap"].forEach(function (name) {
    document.addEventListener(name, function () {
      scrollDown();
      var id = document.getElementById("conversation-id");
      var root = document.body.dataset.root || "";  // the prefix the UI is served under
      if (id && id.value && window.location.pathname === root + "/") {
        window.history.replaceState(null, "", root + "/c/" + encodeURIComponent(id.value));
      }
    });
  });

  document.addEventListener("click", function (event) {
    var button = event.target.closest ? event.target.closest("button") : null;
    if (!button) { return; }
    if (button.dataset.stop) {
      var turn = document.getElementById(button.dataset.stop);
      if (!turn) { return; }
      var text = turn.querySelector(".stream-text");
      var kept = text ? text.innerHTML : "";
      // swapping the element out closes its EventSource (htmx cleans it up)
      window.htmx.swap(turn, '<div class="msg assistant stopped"><div class="stream-text">' + kept +
        '</div><p class="hint" role="status">Stopped: nothing of this answer was kept. Send the question again for an answer.</p></div>',
        { swapStyle: "outerHTML" });
      document.getElementById("message").focus();
    } else if (button.dataset.copy) {
      var source = document.getElementById(button.dataset.copy);
      var markdown = source ? source.content.textContent : "";
      var done = function () { button.textContent = "Copied"; };
      if (navigator.clipboard) {
        navigator.clipboard.writeText(markdown).then(done, function () { button.textContent = "Copy failed"; });
      }
    }
  });

  document.addEventListener("htmx:sseError", function (event) {
    var turn = event.detail.elt;
    if (turn && turn.classList && turn.classList.contains("pending") && !turn.querySelector(".lost")) {
      var note = document.createElement("p");
      note.className = "hint lost";
      note.setAttribute("role", "status");
      note.textContent = "Connection interrupted; retrying.";
      turn.appendChild(note);
    }
  });
})();
