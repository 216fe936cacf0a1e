"""Every page, in a real browser, as a person with a full account sees it:

- at 320, 390 and 1280 px wide nothing runs past the right edge (the page never
  scrolls sideways), and the elements that do are named;
- at 390 and 1280 px axe-core finds no serious or critical WCAG 2.1 A/AA violation,
  nor in the dark colour scheme any of the rules that colours decide (one test a page
  and width: `test_page[chromium-<page>-<width>]`);
- the user menu of a 30-character name, opened on a 390 px phone, lies inside the
  screen;
- every named URL of the site is one of the audited pages or is listed with the
  reason it is none (tests/e2e/pages.py).

The browser checks are marked `audit`: CI runs them on PostgreSQL (the pages draw
the same on either database), a local run with RUN_PAGE_AUDIT=1.

The pages' data is made once for the module, on a live server of its own (the
pytest-django `live_server` empties the database after each test). With
AUDIT_SCREENSHOTS=<folder> the accessibility tests save each page's screenshot there
as <page>-<width>-<scheme>.png; with AUDIT_REPORT=<file> every check appends its
outcome to that file as a line of JSON."""

import contextlib
import json
import os
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import DEFAULT_DB_ALIAS, connection
from django.test import Client, override_settings
from django.test.utils import setup_databases, teardown_databases
from playwright.sync_api import Browser
from playwright.sync_api import Page as Tab
from pytest_django.live_server_helper import LiveServer

from . import axe
from .pages import EXCLUDED, PAGES, USERNAME, Page, Seed, seed, uncovered

#: Width: height of the windows, a small phone, a common phone, a laptop.
WINDOWS = {320: 640, 390: 844, 1280: 800}
AXE_WIDTHS = (390, 1280)
SCHEMES = ("light", "dark")

SHOTS = os.environ.get("AUDIT_SCREENSHOTS")
REPORT = os.environ.get("AUDIT_REPORT")

OVERFLOW = """() => {
  const width = window.innerWidth;
  // Overflow that an ancestor scrolls or clips, or a visually hidden element (its
  // clip hides it), is no page running past the edge.
  const clipped = (style) => style.clip !== "auto" || style.clipPath !== "none";
  const contained = (el) => {
    if (clipped(getComputedStyle(el))) return true;
    for (let up = el.parentElement; up && up !== document.body; up = up.parentElement) {
      const style = getComputedStyle(up);
      if (style.overflowX !== "visible" || clipped(style)) return true;
    }
    return false;
  };
  const name = (el) => {
    const parts = [];
    for (let e = el; e && e !== document.body && parts.length < 4; e = e.parentElement) {
      let part = e.tagName.toLowerCase();
      if (e.id) { parts.unshift(part + "#" + e.id); break; }
      if (e.classList.length) part += "." + [...e.classList].slice(0, 2).join(".");
      parts.unshift(part);
    }
    return parts.join(" > ");
  };
  const over = [];
  const hidden = [];
  for (const el of document.body.querySelectorAll("*")) {
    const box = el.getBoundingClientRect();
    if (box.width === 0 || box.right <= width + 0.5) continue;
    if (getComputedStyle(el).visibility === "hidden" || contained(el)) hidden.push(el);
    else over.push(el);
  }
  const describe = (el) => {
    const box = el.getBoundingClientRect();
    return {selector: name(el), right: Math.round(box.right), width: Math.round(box.width),
            text: (el.innerText || el.value || "").trim().replace(/\\s+/g, " ").slice(0, 50)};
  };
  const innermostOf = (els) => els.filter((el) => !els.some((o) => o !== el && el.contains(o)));
  // The innermost elements that stick out (what to fix) and the outermost (how far).
  const innermost = innermostOf(over);
  const outermost = over.filter((el) => !over.some((other) => other !== el && other.contains(el)));
  innermost.sort((a, b) => b.getBoundingClientRect().right - a.getBoundingClientRect().right);
  // When the page is wider than the window, what makes it so: the elements past the
  // edge without which it is narrower (a scrolled or hidden one may still widen the
  // page, say positioned outside the box that scrolls it).
  const scrollWidth = document.documentElement.scrollWidth;
  const causes = [];
  if (scrollWidth > width) {
    for (const el of [...over, ...hidden].slice(0, 300)) {
      const before = el.style.getPropertyValue("display");
      const priority = el.style.getPropertyPriority("display");
      el.style.setProperty("display", "none", "important");
      if (document.documentElement.scrollWidth < scrollWidth) causes.push(el);
      el.style.setProperty("display", before, priority);
    }
  }
  return {
    width, scrollWidth,
    innermost: innermost.slice(0, 8).map(describe),
    outermost: outermost.filter((el) => !innermost.includes(el)).slice(0, 4).map(describe),
    causes: innermostOf(causes).filter((el) => !innermost.includes(el)).slice(0, 6)
      .map(describe),
  };
}"""


@dataclass(frozen=True)
class Site:
    base: str
    seed: Seed
    #: The session cookie of each account.
    sessions: dict[str, str]


@pytest.fixture(scope="module")
def site(django_db_setup, django_db_blocker, tmp_path_factory):
    """The pages' data and a live server of the module's own; the database is
    emptied afterwards, as after any test that writes outside a transaction."""
    media = tmp_path_factory.mktemp("audit-media")
    with (
        django_db_blocker.unblock(),
        database_for_the_module(),
        override_settings(MEDIA_ROOT=str(media)),
    ):
        data = seed()
        sessions = {}
        for account, user_id in data.accounts.items():
            client = Client()
            client.force_login(get_user_model().objects.get(pk=user_id))
            sessions[account] = client.cookies[settings.SESSION_COOKIE_NAME].value
        server = LiveServer("127.0.0.1:0")
        try:
            yield Site(base=server.url, seed=data, sessions=sessions)
        finally:
            server.stop()
            call_command("flush", interactive=False, verbosity=0)


@contextlib.contextmanager
def database_for_the_module():
    """pytest-django makes the test database only when a test of the session asks
    for one through its fixtures or marker, which would also empty it after each test
    (or hold it in a transaction the live server cannot see into); these tests share
    one filled database, so the module makes it when no other test has."""
    if connection.settings_dict["NAME"] == connection.creation._get_test_db_name():
        yield
        return
    made = setup_databases(verbosity=0, interactive=False, aliases={DEFAULT_DB_ALIAS})
    try:
        yield
    finally:
        teardown_databases(made, verbosity=0)


@pytest.fixture(scope="module")
def tabs(browser: Browser, site: Site):
    """One window per width and account (or none), kept for the module."""
    made = {}

    def tab(width: int, account: str | None) -> Tab:
        key = (width, account)
        if key not in made:
            context = browser.new_context(viewport={"width": width, "height": WINDOWS[width]})
            if account:
                context.add_cookies(
                    [
                        {
                            "name": settings.SESSION_COOKIE_NAME,
                            "value": site.sessions[account],
                            "url": site.base,
                        }
                    ]
                )
            made[key] = context.new_page()
        return made[key]

    yield tab
    for opened in made.values():
        opened.context.close()


#: What each window shows now (tab -> page name), so that the same page in the
#: other colour scheme is not loaded again.
SHOWING: dict[int, str] = {}

SETTLED = """() => new Promise((resolve) => {
  // Loaded, and no HTMX request under way (a part loaded after the page) for 150 ms.
  let quiet = 0;
  const tick = () => {
    quiet = document.querySelector(".htmx-request") ? 0 : quiet + 1;
    if (quiet >= 3) document.fonts.ready.then(() => resolve(true));
    else setTimeout(tick, 50);
  };
  tick();
  setTimeout(() => resolve(false), 5000);
})"""


def show(tab: Tab, site: Site, page: Page, scheme: str) -> None:
    """Open the page (or walk the steps to it) and let it settle; a window already
    showing it only changes its colour scheme."""
    tab.emulate_media(color_scheme=scheme)
    if SHOWING.get(id(tab)) == page.name:
        tab.evaluate("() => new Promise((done) => requestAnimationFrame(() => done(true)))")
        return
    SHOWING.pop(id(tab), None)
    if page.steps:
        page.steps(tab, site.base, site.seed)
    else:
        response = tab.goto(site.base + page.path(site.seed))
        assert response.status == page.status, f"{page.name}: HTTP {response.status}"
    if page.ready:
        tab.wait_for_selector(page.ready)
    tab.evaluate(SETTLED)
    SHOWING[id(tab)] = page.name


def report(**outcome) -> None:
    if REPORT:
        with open(REPORT, "a", encoding="utf-8") as out:
            out.write(json.dumps(outcome) + "\n")


def page_ids(page: Page) -> str:
    return page.name


def overflow_problem(page: Page, width: int, found: dict) -> str:
    if found["scrollWidth"] <= found["width"] and not found["innermost"]:
        return ""
    lines = [f"{page.name} at {width}px is {found['scrollWidth']}px wide; sticking out:"]
    lines += [
        f"    {el['selector']} (right edge {el['right']}px, {el['width']}px wide) {el['text']!r}"
        for el in found["innermost"] + found["outermost"]
    ]
    if found["causes"]:
        lines.append("  past the edge, scrolled, clipped or hidden, but widening the page:")
        lines += [f"    {el['selector']} (right edge {el['right']}px)" for el in found["causes"]]
    return "\n".join(lines)


@pytest.mark.audit
@pytest.mark.parametrize("width", list(WINDOWS))
@pytest.mark.parametrize("page", PAGES, ids=page_ids)
def test_page(tabs, site, page, width):
    """Nothing past the right edge; at 390 and 1280 px no serious or critical axe
    violation, in the light scheme, nor of the colour rules in the dark one."""
    tab = tabs(width, page.account)
    problems = []
    show(tab, site, page, "light")
    found = tab.evaluate(OVERFLOW)
    problem = overflow_problem(page, width, found)
    report(
        check="overflow", page=page.name, area=page.area, width=width, ok=not problem, found=found
    )
    problems.append(problem)
    if width in AXE_WIDTHS:
        for scheme in SCHEMES:
            if scheme != "light":
                show(tab, site, page, scheme)
            if SHOTS:
                Path(SHOTS).mkdir(parents=True, exist_ok=True)
                tab.screenshot(path=f"{SHOTS}/{page.name}-{width}-{scheme}.png", full_page=True)
            found = axe.violations(tab, colours_only=scheme != "light")
            serious = axe.blocking(found)
            report(
                check="axe",
                page=page.name,
                area=page.area,
                width=width,
                scheme=scheme,
                ok=not serious,
                found=found,
            )
            if serious:
                problems.append(f"axe, {scheme} scheme:\n{axe.describe(serious)}")
    problems = [problem for problem in problems if problem]
    assert not problems, "\n".join(problems)


@pytest.mark.audit
def test_the_user_menu_of_a_long_name_fits_a_phone(tabs, site):
    """The header's menu of a 30-character name, opened on a phone: every item in it
    lies inside the screen."""
    assert len(USERNAME) == 30
    tab = tabs(390, "full")
    show(tab, site, next(page for page in PAGES if page.name == "dashboard"), "light")
    SHOWING.pop(id(tab))  # the menu is left open
    header = tab.locator("header")
    opener = header.get_by_text(USERNAME, exact=True).first
    if not opener.is_visible():
        # A narrow header may fold its links behind a menu button first.
        header.get_by_role("button", name="Menu").first.click()
    opener.click()
    log_out = tab.get_by_role("button", name="Log out")
    log_out.wait_for(state="visible")
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        tab.screenshot(path=f"{SHOTS}/user-menu-390-light.png")
    boxes = tab.evaluate(
        """() => {
          const out = document.evaluate("//button[normalize-space()='Log out']", document, null,
            XPathResult.FIRST_ORDERED_NODE_TYPE, null).singleNodeValue;
          const menu = out.closest("ul, [role=menu], details, dialog, nav") || out;
          const items = [...menu.querySelectorAll("a, button, summary")];
          return [menu, ...items].filter((el) => el.getClientRects().length).map((el) => {
            const box = el.getBoundingClientRect();
            return {what: el.outerHTML.slice(0, 60), left: box.left, right: box.right};
          });
        }"""
    )
    width = tab.evaluate("() => window.innerWidth")
    outside = [box for box in boxes if box["left"] < -0.5 or box["right"] > width + 0.5]
    report(
        check="user-menu", page="dashboard", area="shell", width=390, ok=not outside, found=boxes
    )
    assert not outside, f"The user menu runs outside the {width}px screen: {outside}"


def test_every_named_url_is_audited_or_excused():
    left, stale = uncovered()
    assert not left, (
        "Named URLs neither audited as a page nor excused: add them to PAGES or EXCLUDED "
        f"in tests/e2e/pages.py: {left}"
    )
    assert not stale, f"Listed in tests/e2e/pages.py but no longer a URL: {stale}"
    assert all(reason for reason in EXCLUDED.values())


@pytest.mark.audit
def test_the_checks_find_what_they_look_for(tabs, site):
    """On a real page of the site (its Content Security Policy in force), the
    overflow check names a wide element and one that widens the page from inside a
    box that scrolls; axe runs and finds a contrast too low."""
    tab = tabs(390, None)
    login = next(page for page in PAGES if page.name == "login")
    show(tab, site, login, "light")
    SHOWING.pop(id(tab))  # changed below
    # Styled through the CSSOM: the policy refuses style attributes.
    tab.evaluate(
        """() => {
          const main = document.querySelector("main");
          main.insertAdjacentHTML("beforeend",
            '<p id="wide">wide</p>' +
            '<div id="scroller"><table><tr><th><span id="escapes">x</span></th></tr></table>' +
            '</div><p id="faint">faint</p>');
          const style = (id) => document.getElementById(id).style;
          style("wide").width = "600px";
          style("scroller").overflowX = "auto";
          Object.assign(style("escapes"), {position: "absolute", left: "450px"});
          Object.assign(style("faint"), {color: "#ddd", background: "#fff"});
        }"""
    )
    found = tab.evaluate(OVERFLOW)
    assert found["scrollWidth"] > 390
    assert any("p#wide" in el["selector"] for el in found["innermost"])
    tab.evaluate("() => document.getElementById('wide').remove()")
    found = tab.evaluate(OVERFLOW)
    assert any("span#escapes" in el["selector"] for el in found["causes"]), found
    serious = axe.blocking(axe.violations(tab))
    assert any(
        violation["id"] == "color-contrast"
        and any("#faint" in node["target"] for node in violation["nodes"])
        for violation in serious
    ), serious
