"""axe-core in the browser tests: the copy that `axe-playwright-python` ships (no
network at test time), run on the page with the WCAG 2.1 A and AA rules.

The script goes in through `page.evaluate`, which the page's Content Security Policy
does not apply to (it allows no inline script)."""

from axe_playwright_python.base import AXE_SCRIPT
from playwright.sync_api import Page

TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
#: The rules that colours decide: all a second colour scheme can change.
COLOUR_RULES = ["color-contrast", "link-in-text-block"]
#: What fails the audit; "minor" and "moderate" findings are reported, not failed.
BLOCKING = ("serious", "critical")

RUN = """async ([type, values]) => {
  const results = await axe.run(document, {
    runOnly: {type, values},
    resultTypes: ["violations"],
  });
  return results.violations.map((v) => ({
    id: v.id,
    impact: v.impact,
    help: v.help,
    nodes: v.nodes.map((n) => ({
      target: n.target.map(String).join(" "),
      summary: (n.failureSummary || "").split("\\n").slice(0, 2).join(" ").trim(),
      html: n.html.slice(0, 160),
    })),
  }));
}"""


def violations(page: Page, colours_only: bool = False) -> list[dict]:
    """The page's WCAG 2.1 A/AA violations, each with its rule id, impact, and nodes;
    `colours_only`: of the rules colours decide (for a page seen already in another
    colour scheme)."""
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.evaluate(AXE_SCRIPT)
    if colours_only:
        return page.evaluate(RUN, ["rule", COLOUR_RULES])
    return page.evaluate(RUN, ["tag", TAGS])


def blocking(found: list[dict]) -> list[dict]:
    return [violation for violation in found if violation["impact"] in BLOCKING]


def describe(found: list[dict], nodes: int = 5) -> str:
    lines = []
    for violation in found:
        lines.append(
            f"{violation['id']} ({violation['impact']}): {violation['help']} "
            f"- {len(violation['nodes'])} element(s)"
        )
        for node in violation["nodes"][:nodes]:
            lines.append(f"    {node['target']}  {node['summary']}")
        if len(violation["nodes"]) > nodes:
            lines.append(f"    … and {len(violation['nodes']) - nodes} more")
    return "\n".join(lines)
