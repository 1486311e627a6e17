"""The report of a real tiny study, still running, opened in headless Chromium from a copied folder, offline,
at 1280 px: every image loads and no table or figure overflows the page.

Needs Debian's chromium (driven by Playwright, no browser download). Without it the test skips with the
reason, except in CI (the CI variable set), where a missing browser is a failure: .ci/run installs it.
"""

import json
import os
import shutil

import optuna
import pytest

from ablation_suite.cli import main as study


def chromium_or_reason():
    """(path, None) when a browser and Playwright are available, else (None, why not)."""
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return None, "Playwright is not installed (pip install -e '.[test]')"
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    if path is None:
        return None, "no chromium on PATH (apt-get install chromium)"
    return path, None


@pytest.fixture(scope="module")
def browser():
    path, reason = chromium_or_reason()
    if path is None:
        if os.environ.get("CI"):
            pytest.fail(f"CI is set but the browser test cannot run: {reason}")
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=path)
        yield launched
        launched.close()


@pytest.fixture
def running_study(finished_study, tmp_path):
    """The finished tiny study plus a cell in training (RUNNING) and one waiting to start (WAITING)."""
    db = tmp_path / "running.db"
    db.write_bytes(finished_study.read_bytes())
    url = f"sqlite:///{db}"
    main = optuna.load_study(study_name="bn_placement", storage=url)
    main.enqueue_trial({"bn": "after", "seed": 2}, user_attrs={"cell": json.dumps({"bn": "after", "seed": 2})})
    main.enqueue_trial({"bn": "none", "seed": 2}, user_attrs={"cell": json.dumps({"bn": "none", "seed": 2})})
    main.ask()  # takes the first waiting cell: it is now RUNNING, with no result yet
    return url


@pytest.mark.engines
def test_report_of_a_running_study_loads_every_image_offline_from_a_copied_folder(browser, running_study, tmp_path):
    made = tmp_path / "made"
    assert study.main(["report", "bn_placement", "--storage", running_study, "--out", str(made)]) == 0
    page_text = (made / "index.html").read_text()
    assert "6 done, 1 running, 1 pending" in page_text  # what is finished is reported, the rest counted
    copied = tmp_path / "copied"
    shutil.copytree(made, copied)
    shutil.rmtree(made)  # nothing may point back at the folder the report was written to

    context = browser.new_context(offline=True, viewport={"width": 1280, "height": 900})
    outside, errors = [], []
    context.route(
        "**/*",
        lambda route: (
            route.continue_()
            if route.request.url.startswith("file://")
            else (outside.append(route.request.url), route.abort())
        ),
    )
    page = context.new_page()
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto((copied / "index.html").as_uri(), wait_until="load")
    images = page.evaluate("Array.from(document.images, i => [i.getAttribute('src'), i.complete, i.naturalWidth])")
    page_width, overflowing = page.evaluate(OVERFLOW)
    context.close()

    assert sorted(src for src, _, _ in images) == sorted(p.name for p in copied.glob("*.png"))
    assert len(images) >= 6  # forest, test accuracy, curves, gap, per-class, confusion matrices (one figure)
    assert [src for src, complete, width in images if not (complete and width > 0)] == []
    assert errors == [] and outside == []
    assert page_width <= 1280 and overflowing == []
    tables = (copied / "tables").glob("*.tex")
    assert {p.stem for p in tables} >= {"bn_summary", "best_configuration"}
    assert {p.name for p in (copied / "figures").iterdir()} == {f"{p.stem}.pdf" for p in copied.glob("*.png")}


# Every table and figure must end inside the page and inside the box that holds it (a table wider than its
# scrolling box would need sideways scrolling to read); the page itself must not scroll sideways.
OVERFLOW = """() => {
  const width = document.documentElement.clientWidth, bad = [];
  for (const element of document.querySelectorAll("table, img, figure, .table")) {
    const box = element.getBoundingClientRect(), holder = element.parentElement.getBoundingClientRect();
    if (box.right > width + 0.5 || box.right > holder.right + 0.5 || box.left < -0.5)
      bad.push(`${element.tagName} ${element.getAttribute("src") || element.className}: right edge ${box.right}`);
  }
  return [document.documentElement.scrollWidth, bad];
}"""
