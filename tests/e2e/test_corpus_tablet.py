"""Every public XLSForm the app takes, filled on the tablet in Chromium: once with signal,
once without, and both found in the store and in the export.

The 38 forms of tests/surveys/public_xlsforms that pyxform converts are added to one app as
``census survey add`` adds them (two share a form_id with another form of the corpus and are
added under a name of their own, as ``--name`` gives one: NAMED), and the app is served once.
One tablet, logged in once, opens each form's new page and answers it from the submission
made up for the corpus test (tests/surveys/submissions.py, two entries in each repeat
without a count): each question the page shows is set by its input's name — typed, chosen,
ticked — the second entry of a roster is added with the roster's own button (at every
depth), a location comes from the tablet's geolocation and a photo is a small JPEG chosen
as the camera's file. The first is saved with signal; the second is filled and saved with
the tablet offline, the page says it waits in the outbox, and once the signal returns it
lands. The store then holds both, each once, as the server's own checks read the same
answers, with their photos, and the workbook has a sheet per repeat level with a row for
each entry of both records.

All 38 are answered from the made-up body as it is: none needs a recipe of its own. The
whole file's time is said at the end of the run (60 to 95 s on a loaded 2-core machine).
"""

from __future__ import annotations

import io
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from openpyxl import load_workbook
from playwright.sync_api import expect

from census.sheets.survey_export import levels, survey_sheets, workbook_bytes
from census.surveys import custom
from census.surveys.definition import SILENT_TYPES, FieldDef, FormDef
from census.surveys.photos import photo_names
from census.surveys.validate import clean
from tests.e2e.conftest import PASSWORD, PORTRAIT, TIMEOUT_MS, LiveServer, serve
from tests.e2e.test_offline import open_home_and_keep_it_offline, outbox_count
from tests.e2e.test_xlsform_tablet import wait_until
from tests.surveys.submissions import TODAY, photo_file, submission
from tests.surveys.test_public_xlsforms import CORPUS, FORMS, PYXFORM_REFUSES

WHERE = {"latitude": 43.825592, "longitude": 87.616848, "accuracy": 12}
ACCEPTED = [name for name in FORMS if name not in PYXFORM_REFUSES]
# Their form_id is taken by another form of the corpus (cascading_select_test, spec_test).
NAMED = {
    "pyxform__cascading_select_test_equivalent.xls": "pyxform_cascading_select_test_equivalent",
    "pyxform__xlsform_spec_test.xlsx": "pyxform_xlsform_spec_test",
}
SYNC_MS = 20_000
ROWS = 2  # entries of each repeat that has no count: the second one is added


@dataclass
class Corpus:
    """The served app with every accepted form added, and what each form is answered with."""

    server: LiveServer
    forms: dict[str, FormDef]
    bodies: dict[str, dict[str, Any]]
    passed: int = 0


@pytest.fixture(scope="module")
def corpus(tmp_path_factory, timings) -> Iterator[Corpus]:
    started = time.monotonic()
    with serve(tmp_path_factory.mktemp("corpus")) as server:
        census = server.app.extensions["census"]
        forms: dict[str, FormDef] = {}
        bodies: dict[str, dict[str, Any]] = {}
        for name in ACCEPTED:
            added = custom.add(census, name, (CORPUS / name).read_bytes(), name=NAMED.get(name, ""))
            assert added.form is not None, [str(p) for p in added.problems]
            body, left = submission(added.form, rows=ROWS)
            assert not left, (name, left)
            forms[name], bodies[name] = added.form, body
        kept = Corpus(server, forms, bodies)
        yield kept
        took = time.monotonic() - started
        timings.append(
            f"public XLSForms saved on the tablet online and offline: {kept.passed} of "
            f"{len(forms)}, {took:.0f} s"
        )


class Tablet:
    """One logged-in tablet for the whole corpus; a form that failed leaves it for a new one
    (its outbox may hold what that form left behind)."""

    def __init__(self, browser: Any, server: LiveServer) -> None:
        self.browser, self.server = browser, server
        self.context: Any = None
        self.page: Any = None
        self.errors: list[str] = []

    def open(self) -> Any:
        if self.page is not None:
            return self.page
        self.context = self.browser.new_context(
            base_url=self.server.url,
            viewport=PORTRAIT,
            has_touch=True,
            is_mobile=True,
            locale="zh-CN",
            geolocation=WHERE,
            permissions=["geolocation"],
        )
        self.context.set_default_timeout(TIMEOUT_MS)
        page = self.context.new_page()
        page.on("pageerror", lambda exc: self.errors.append(str(exc)))
        page.goto("/login")
        page.locator("#username").fill("admin")
        page.locator("#password").fill(PASSWORD)
        with page.expect_navigation():
            page.get_by_role("button", name="登录").tap()
        open_home_and_keep_it_offline(page)
        self.page = page
        return page

    def close(self) -> None:
        if self.context is not None:
            self.context.close()
        self.context = self.page = None
        self.errors = []


@pytest.fixture(scope="module")
def tablet(browser, corpus) -> Iterator[Tablet]:
    kept = Tablet(browser, corpus.server)
    yield kept
    kept.close()


@pytest.mark.parametrize("name", ACCEPTED)
def test_a_public_form_is_saved_on_the_tablet_with_and_without_signal_and_exported(
    name, corpus, tablet
):
    form, body = corpus.forms[name], corpus.bodies[name]
    store = corpus.server.store.collection(form.collection)
    page = tablet.open()
    try:
        waiting = page.locator(".sync-bar .outbox-link .count")
        online = save_one(page, form, body, offline=False)
        # Sent, and known to be: an answer slower than the save's wait is the outbox's to
        # take, from the next page (it would be counted with the offline one below).
        expect(waiting).to_have_text("0", timeout=SYNC_MS)
        assert len(store) == 1
        offline = save_one(page, form, body, offline=True)
        assert len(store) == 1  # still on the tablet only
        page.context.set_offline(False)
        expect(waiting).to_have_text("0", timeout=SYNC_MS)
        assert tablet.errors == []
    except BaseException:
        tablet.close()  # the next form starts on a clean tablet
        raise
    assert outbox_count(page) == "0"
    stored = store.scan()
    assert sorted(r["uuid"] for r in stored) == sorted([online, offline])  # both, each once
    expected, _problems = clean(form, body, today=TODAY)
    media = corpus.server.store.media
    for record in stored:
        assert answers(form.fields, record) == answers(form.fields, expected)
        assert all(media.get(form.collection, n) for n in photo_names(record))
    exported(corpus.server, form, stored)
    corpus.passed += 1


def save_one(page: Any, form: FormDef, body: dict[str, Any], *, offline: bool) -> str:
    """Open the form's new page, answer it and save it; the uuid it was sent with."""
    page.goto(f"/survey/{form.name}/new")
    wait_until(page, lambda: "uuid=" in page.url)  # the outbox knows the form
    uuid = page.evaluate("new URL(location.href).searchParams.get('uuid')")
    if offline:
        page.context.set_offline(True)  # in the stairwell
    answered = fill(page, form, body)
    assert answered >= min(1, answers_in(body))
    page.get_by_role("button", name="保存").tap()
    page.wait_for_url("**/survey/")
    if offline:
        expect(page.locator(".net-banner")).to_have_text("离线 · 1 条待发送")
    return uuid


# Answers a form in the page, in form order, as the surveyor's taps would: each question
# found by its input's name and answered only while it is shown (a value typed or chosen,
# then its input and change events; a box ticked by a click), a roster's rows added with
# its own add button (unless its count makes them), a location from the tablet's button.
# One call for the whole form: a Playwright call per question would take most of the
# time budget on a loaded machine. Photos are left to set_input_files; their names return.
FILL_JS = """async ({ plan, body }) => {
  const shown = (el) => !!el && el.checkVisibility({ visibilityProperty: true });
  const named = (name, more = "") => document.querySelector(`[name="${CSS.escape(name)}"]${more}`);
  const pause = () => new Promise((done) => setTimeout(done, 50));
  const until = async (ok) => {
    for (let i = 0; i < 200 && !ok(); i++) await pause();
    return ok();
  };
  const photos = [];
  let answered = 0;
  async function fill(fields, values, prefix) {
    for (const f of fields) {
      const ident = prefix + f.key, value = values[f.key];
      if (f.type === "repeat") { await rows(f, value || [], ident); continue; }
      if (value === null || value === undefined || value === "") continue;
      if (f.type === "select_many" || f.type === "yes_no") {
        const codes = Array.isArray(value) ? value : [value];
        const boxes = codes.map((c) => named(ident, `[value="${CSS.escape(String(c))}"]`));
        if (!shown(boxes[0])) continue;
        boxes.forEach((box) => { if (!box.checked) box.click(); });
      } else if (f.type === "geopoint") {
        const box = named(ident);
        if (!shown(box)) continue;
        document.querySelector(`button[data-locate="${CSS.escape(ident)}"]`).click();
        if (!(await until(() => box.value !== ""))) throw new Error(`no location in ${ident}`);
      } else if (f.type === "image") {
        const chooser = document.querySelector(`input[data-photo-for="${CSS.escape(ident)}"]`);
        if (!shown(chooser)) continue;
        photos.push(ident);
      } else {
        const box = named(ident);
        if (!shown(box)) continue;
        box.value = String(value);
        box.dispatchEvent(new Event("input", { bubbles: true }));
        box.dispatchEvent(new Event("change", { bubbles: true }));
      }
      answered++;
    }
  }
  async function rows(f, entries, ident) {
    const section = document.querySelector(`section[data-name="${CSS.escape(ident)}"]`);
    if (!entries.length || !shown(section)) return;
    const entry = ":scope > fieldset.member:not([hidden])";
    const live = () => Array.from(section.querySelectorAll(entry));
    for (let i = 0; !f.count && i < entries.length && live().length < entries.length; i++) {
      section.querySelector(":scope > button.add").click();
    }
    if (!(await until(() => live().length === entries.length))) {
      throw new Error(`${ident}: ${live().length} rows on the page, ${entries.length} wanted`);
    }
    const members = live();
    for (let n = 0; n < entries.length; n++) {
      await fill(f.fields, entries[n], `${members[n].dataset.name}-`);
    }
  }
  await fill(plan, body, "");
  return { answered, photos };
}"""


def plan(fields: tuple[FieldDef, ...]) -> list[dict[str, Any]]:
    """The questions the page is answered in, as FILL_JS reads them (no silent ones)."""
    return [
        {"key": f.key, "type": f.type, "count": f.count is not None, "fields": plan(f.fields)}
        for f in fields
        if f.type not in SILENT_TYPES and f.type != "note" and not f.read_only
    ]


def fill(page: Any, form: FormDef, body: dict[str, Any]) -> int:
    """Answer the questions the page shows, then choose the photos; how many were answered."""
    done = page.evaluate(FILL_JS, {"plan": plan(form.fields), "body": body})
    for ident in done["photos"]:
        page.locator(f"input[type=file][data-photo-for='{ident}']").set_input_files(
            files=[{"name": "photo.jpg", "mimeType": "image/jpeg", "buffer": photo_file()}]
        )
        held = page.locator(f"input[name='{ident}']")
        wait_until(page, lambda h=held: h.input_value().startswith("data:image/jpeg"))
    return done["answered"]


def answers_in(body: dict[str, Any]) -> int:
    """How many questions of the top level the body answers."""
    return sum(1 for v in body.values() if v not in (None, "", []))


def answers(fields: tuple[FieldDef, ...], doc: dict[str, Any]) -> dict[str, Any]:
    """What a record holds for the questions: a location as its latitude, longitude and
    accuracy, a photo as whether there is one (stored, it is a file name)."""
    out: dict[str, Any] = {}
    for f in fields:
        value = doc.get(f.key)
        if f.type == "repeat":
            out[f.key] = [answers(f.fields, row) for row in value or []]
        elif f.type == "geopoint" and value:
            lat, lon, _altitude, accuracy = value.split()
            out[f.key] = (float(lat), float(lon), float(accuracy))  # the tablet gives no altitude
        elif f.type == "image":
            out[f.key] = bool(value)
        else:
            out[f.key] = value
    return out


def rows_per_repeat(fields: tuple[FieldDef, ...], doc: dict[str, Any], found: Counter) -> None:
    """How many entries each repeat (by its definition) holds in a record, at every depth."""
    for f in fields:
        if f.type == "repeat":
            for item in doc.get(f.key) or []:
                found[id(f)] += 1
                rows_per_repeat(f.fields, item, found)


def exported(server: LiveServer, form: FormDef, stored: list[dict[str, Any]]) -> None:
    """The workbook read back: a sheet per repeat level, a row per record and per entry."""
    book = load_workbook(io.BytesIO(workbook_bytes(survey_sheets(server.store, form))))
    counts: Counter = Counter()
    for record in stored:
        rows_per_repeat(form.fields, record, counts)
    found = levels(form)
    assert [ws.title for ws in book.worksheets] == [level.title for level in found]
    rows = [ws.max_row - 1 for ws in book.worksheets]
    assert rows == [len(stored)] + [counts[id(level.repeat)] for level in found[1:]]
