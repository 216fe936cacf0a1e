"""Moving through a page with the keyboard alone, as the keyboard tests do."""

import re

from playwright.sync_api import Page


def focused_label(page: Page) -> str:
    """What a screen reader would name the focused element by."""
    return page.evaluate(
        "() => { const e = document.activeElement;"
        " return (e.getAttribute('aria-label') || e.name || e.textContent || '').trim(); }"
    )


def tab_until(page: Page, pattern: str, limit: int = 60) -> None:
    """Press Tab until the focused element's name matches `pattern`."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if re.search(pattern, focused_label(page)):
            return
    raise AssertionError(f"Tab never reached {pattern!r}; focus is on {focused_label(page)!r}")
