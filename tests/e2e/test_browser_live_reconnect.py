"""In a real headless Chromium: a websocket handshake that never completes (as the first
one after a Redis restart did) is given up after a few seconds and tried again, so the tab
goes live without a reload."""

from __future__ import annotations

import pytest

from tests.e2e.test_browser_inbox import browser, logged_in_page  # noqa: F401

pytestmark = [pytest.mark.e2e, pytest.mark.browser]

# The page's first websocket stays "connecting" for ever, like a handshake the server never
# answers (the CSP would refuse a real socket to a silent port); later ones are real.
_FIRST_HANDSHAKE_HANGS = """
(() => {
  const Real = window.WebSocket;
  let first = true;
  function Patched(url, protocols) {
    if (!first) {
      window.__retriedAt = Date.now();
      return new Real(url, protocols);
    }
    first = false;
    window.__hungAt = Date.now();
    const hung = {readyState: 0, send() { throw new Error("not open"); }};
    hung.close = () => {
      if (hung.readyState === 3) return;
      hung.readyState = 3;
      setTimeout(() => hung.onclose && hung.onclose({code: 1006}), 0);
    };
    return hung;
  }
  Patched.prototype = Real.prototype;
  Object.assign(Patched, {CONNECTING: 0, OPEN: 1, CLOSING: 2, CLOSED: 3});
  window.WebSocket = Patched;
})();
"""


def test_a_hung_handshake_is_given_up_and_retried(browser, live_stack, live_db):  # noqa: F811
    world = live_db
    page = logged_in_page(browser, live_stack, "acme", world.rita.email)
    page.context.add_init_script(_FIRST_HANDSHAKE_HANGS)
    page.goto(f"http://{live_stack.host('acme')}/")
    page.locator("#live-state.on").wait_for(timeout=30_000)
    hung_at = page.evaluate("window.__hungAt")
    retried_at = page.evaluate("window.__retriedAt")
    assert hung_at and retried_at
    # Given up after the 5 s handshake limit, retried after a short, jittered pause.
    assert 5_000 <= retried_at - hung_at <= 8_000
