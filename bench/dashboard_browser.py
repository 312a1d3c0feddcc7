"""The dashboard benchmark's browser side: time to a usable page, and real callback requests.

Headless Chromium (Debian's, through Playwright) signs in and opens each page. A page is
usable when Dash has no callback in flight and every Plotly chart on it has been drawn;
the time is `performance.now()` at that moment, i.e. from the start of navigation. Every
`/_dash-update-component` request the pages make is kept, so the load test replays exactly
what a browser sends: each page's drawing (the router callback builds a page's whole
content) and the definitions search.
"""

from __future__ import annotations

import statistics

CHROMIUM = "/usr/bin/chromium"
PAGES = (
    "/", "/indicator/bed_days?level=locality&period_type=month&segment=all", "/networks",
    "/drilldown", "/practice", "/definitions", "/status",
)  # fmt: skip
USABLE = """() => {
  const content = document.querySelector('#page-content');
  if (!content || content.children.length === 0) return false;
  if (document.querySelector('[data-dash-is-loading="true"], ._dash-loading')) return false;
  const plots = [...document.querySelectorAll('.js-plotly-plot')];
  return plots.every(plot => plot.querySelector('.main-svg'));
}"""


def sign_in(page, base_url: str, user: str, password: str) -> None:
    """Signs in through the login form and waits for the board overview."""
    page.goto(base_url + "/login")
    page.get_by_label("User name").fill(user)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(base_url + "/")


def time_to_usable(page, url: str) -> float:
    """Seconds from the start of navigation until the page is usable."""
    page.goto(url)
    page.wait_for_function(USABLE, timeout=30_000, polling=20)
    page.wait_for_timeout(100)  # a chart redrawn by a late callback would show here
    page.wait_for_function(USABLE, timeout=30_000, polling=20)
    return page.evaluate("performance.now()") / 1000


def browse(base_url: str, user: str, password: str, rounds: int = 5) -> tuple[dict, list, dict]:
    """Returns ({page: [seconds per round]}, callback request bodies, session cookies)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=["--no-sandbox"]
        )
        page = browser.new_page()
        sign_in(page, base_url, user, password)
        bodies: list[tuple[str, str]] = []
        page.on("request", lambda request: _keep(request, bodies))
        timings = {
            path: [time_to_usable(page, base_url + path) for _ in range(rounds)] for path in PAGES
        }
        cookies = {cookie["name"]: cookie["value"] for cookie in page.context.cookies()}
        browser.close()
    return timings, bodies, cookies


def _keep(request, bodies: list) -> None:
    if request.method == "POST" and "/_dash-update-component" in request.url:
        bodies.append((request.url, request.post_data))


def usable_rows(timings: dict) -> list[str]:
    """One Markdown row per page: median and slowest time to usable."""
    return [
        f"| `{path}` | {statistics.median(seconds):.2f} | {max(seconds):.2f} |"
        for path, seconds in timings.items()
    ]
