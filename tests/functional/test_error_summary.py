"""Every public form, sent with a field left empty, comes back with the error summary of
templates/README.md (templates/deform/form.pt): a box at the top of the form whose lines link to the
fields in error (each link lands on an element of the page), and the form still holds what was typed."""
import pytest

from tests.factories import make_category, make_notice

KEPT = "A text the visitor typed and must not type again"


def summary_of(page):
    summary = page.html.select_one("form .error-summary")
    assert summary is not None, page.text[:3000]
    assert summary["role"] == "alert" and summary["tabindex"] == "-1"
    assert summary.select_one("h2.error-summary-title").get_text(strip=True)
    return summary


def linked_ids(page, summary) -> list[str]:
    """The ids the summary's lines link to; each must be an element of the page."""
    ids = [a["href"].removeprefix("#") for a in summary.select("li a[href^='#']")]
    for target in ids:
        assert page.html.find(id=target) is not None, f"#{target} is on no element"
    return ids


def refuse(testapp, url, typed: dict, button):
    """The form at `url` with only `typed` filled in, sent: a 400 with the form back."""
    form = testapp.get(url).forms["deform"]
    for name, value in typed.items():
        form[name] = value
    return form.submit(button, status=400)


@pytest.fixture
def public_forms(dbsession, units):
    notice = make_notice(dbsession, units["city_a"], kind="missing_person")
    make_category(dbsession, slug="summary-test")
    return {  # url -> (what is typed, a field left empty that the summary must link to, the button)
        "/tips/new?category=summary-test": ({"description": KEPT}, "happened_at", "send"),
        f"/notices/{notice.id}/sightings/new": ({"text": KEPT}, "seen_at", "send"),
        "/missing/new": ({"circumstances": KEPT}, "full_name", "send"),
        "/login": ({"username": KEPT}, "password", "submit"),
    }


@pytest.mark.parametrize("url_index", range(4))
def test_a_refused_form_lists_its_fields_in_error_and_keeps_what_was_typed(testapp, public_forms, url_index):
    url, (typed, empty, button) = list(public_forms.items())[url_index]
    page = refuse(testapp, url, typed, button)
    summary = summary_of(page)
    ids = linked_ids(page, summary)
    field = page.html.find(attrs={"name": empty})
    assert field is not None and field.get("id") in ids, (url, empty, ids)
    # The line says which field, in the visitor's words, and why.
    line = summary.select_one(f'a[href="#{field["id"]}"]').get_text(" ", strip=True)
    label = page.html.select_one(f'label[for="{field["id"]}"]').get_text(" ", strip=True)
    assert line.startswith(label) and len(line) > len(label) + 2, (line, label)
    form = page.forms["deform"]
    for name, value in typed.items():
        assert form[name].value == value, f"{url}: {name} was not kept"


def test_the_status_form_links_its_code_field(testapp):
    page = refuse(testapp, "/status", {}, "show")
    summary = summary_of(page)
    assert page.html.find(attrs={"name": "code"})["id"] in linked_ids(page, summary)


def test_the_summary_is_in_the_readers_language(testapp, dbsession):
    page = testapp.get("/login?lang=zh_CN").forms["deform"].submit("submit", status=400)
    title = summary_of(page).select_one("h2").get_text(strip=True)
    assert title == "有问题需要更正"


def test_a_valid_form_has_no_summary(testapp):
    assert testapp.get("/login").html.select_one(".error-summary") is None
