"""Pages in Chinese and Uyghur carry no English: public pages, refusals, the alarm page, and the staff
pages whose history lines and flags the code writes ("alarm.raised", "kind silent; unit 139910",
"flood: more than 10 alarms ..."), which are shown as sentences in the reader's language, old rows too."""
import re

import pyotp
import pytest
from bs4 import BeautifulSoup

from portal.alarms.models import AlarmMessage
from portal.audit import chain as audit
from tests.factories import make_alarm, make_officer
from tests.functional.helpers import login

# What may stay in Latin letters on a Chinese or Uyghur page: names, formats and symbols.
ALLOWED = {"SMS", "UTC", "JavaScript", "OpenStreetMap", "English", "MB", "PNG", "JPEG", "GIF", "WebP", "CSV",
           "API", "JSON", "ZIP", "SHA", "WebM", "MP4", "Ogg", "GeoJSON", "Polygon", "MultiPolygon", "WGS", "HEIC", "KB", "geo", "km"}
# File formats the upload fields name.
ALLOWED |= {"AAC", "AMR", "AVI", "FLAC", "GP", "MKV", "MOV", "MP", "Opus", "WAV", "MP3", "M4A", "HEIF"}
# The factories' names of units and officers ("Test City A", "Test Officer"): data, not the portal's words.
ALLOWED |= {"Test", "City", "County", "Province", "Officer", "disp"}
# Example values of identifiers that officers type (a category's short name, a question's key, a choice).
ALLOWED |= {"drugs", "activity", "dealing"}
# Key caps the shortcuts name as the keyboard prints them (the letters are single, so never counted).
ALLOWED |= {"Esc"}
WORD = re.compile(r"[A-Za-z]{2,}")
LANGS = {"zh_CN": "zh-CN", "ug": "ug"}
OLD_FLOOD = "flood: more than 10 alarms from one address within an hour"


def english_words(html: str) -> set[str]:
    """Latin words a reader sees (text and the attributes read aloud), minus the allowed ones and the
    identifiers shown as <code> (a category's short name in web addresses)."""
    soup = BeautifulSoup(html, "html.parser")
    for hidden in soup(["script", "style", "template", "code"]):
        hidden.decompose()
    seen = " ".join(soup.stripped_strings)
    seen += " " + " ".join(tag.get(name, "") for tag in soup.find_all(True)
                           for name in ("title", "aria-label", "alt", "placeholder"))
    return {word for word in WORD.findall(seen) if word not in ALLOWED}


def in_language(testapp, lang):
    testapp.extra_environ = dict(testapp.extra_environ, HTTP_ACCEPT_LANGUAGE=LANGS[lang])
    testapp.set_cookie("lang", lang)
    return testapp


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("path", ["/", "/notices", "/alarm", "/embed/alarm", "/tips/new", "/status",
                                  "/missing/new", "/trips/new", "/login", "/notices?kind=zzz&sex=x"])
def test_public_pages_carry_no_english(testapp, units, lang, path):
    page = in_language(testapp, lang).get(path, status="*")
    assert page.status_int in (200, 400)
    assert not english_words(page.text), path


@pytest.mark.parametrize("lang", LANGS)
def test_the_alarm_page_has_the_language_switcher_and_says_its_language(testapp, lang):
    page = in_language(testapp, lang).get("/alarm")
    links = page.html.select(".languages a")
    assert [a["href"] for a in links] == ["/alarm?lang=zh_CN", "/alarm?lang=en", "/alarm?lang=ug"]
    assert [a["href"] for a in page.html.select(".languages a[aria-current]")] == [f"/alarm?lang={lang}"]
    # What the service worker files the page under, offline.
    assert page.headers["Content-Language"] == {"zh_CN": "zh-Hans", "ug": "ug"}[lang]
    embed = testapp.get("/embed/alarm")
    assert len(embed.html.select(".languages a")) == 3


@pytest.fixture
def flagged_alarm(dbsession, units):
    """An alarm as the code stored it before: an English flag reason and a machine-made audit line."""
    alarm, token = make_alarm(dbsession, units["city_a"], kind="silent", flagged=True, flag_reason=OLD_FLOOD,
                              lat=38.5, lon=114.5, accuracy_m=30.0)
    dbsession.add(AlarmMessage(alarm=alarm, sender="public", text="有人跟着我"))
    audit.append(dbsession, "alarm.raised", actor="public", object_type="alarm", object_id=alarm.id,
                 to_state="new", reason=f"kind silent; unit {units['city_a'].code}; located; flagged as flood")
    dbsession.flush()
    alarm.token = token
    return alarm


@pytest.mark.parametrize("lang", LANGS)
def test_the_dispatchers_pages_read_as_sentences_in_the_readers_language(testapp, dbsession, units, flagged_alarm,
                                                                        lang):
    make_officer(dbsession, units["city_a"], ["dispatcher"], username="disp_a")
    login(testapp, "disp_a")
    in_language(testapp, lang)
    page = testapp.get(f"/staff/alarms/{flagged_alarm.id}")
    form = next(f for f in page.forms.values() if f.fields.get("step") and f["step"].value == "acknowledge")
    form.submit(status=303)
    for path in ("/staff", "/staff/alarms", f"/staff/alarms/{flagged_alarm.id}"):
        page = testapp.get(path)
        assert not english_words(page.text), path
    history = page.html.select_one("table.history").get_text(" ")
    expected = {"zh_CN": ["报警：已发出", "类型：静默报警", "已标记为疑似恶意刷报", "群众"],
                "ug": ["جىددىي سىگنال: يوللاندى", "ئۈنسىز جىددىي سىگنال", "ئاممە"]}[lang]
    for words in expected:
        assert words in history
    # The flag stored in English before reads in the reader's language, as one stored now does.
    flag = page.html.select_one(".flag-note").get_text(" ")
    assert {"zh_CN": "超过 10 次报警", "ug": "10 دىن ئارتۇق"}[lang] in flag
    # The console's live rows carry the same words.
    rows = [row for row in testapp.get("/staff/alarms/feed").json["alarms"] if row["id"] == flagged_alarm.id]
    assert rows and {"zh_CN": "超过 10 次报警", "ug": "10 دىن ئارتۇق"}[lang] in rows[0]["flag_reason"]


@pytest.mark.parametrize("lang", LANGS)
def test_the_senders_thread_reads_in_their_language(testapp, dbsession, units, flagged_alarm, lang):
    make_officer(dbsession, units["city_a"], ["dispatcher"], username="disp_a")
    login(testapp, "disp_a")
    page = testapp.get(f"/staff/alarms/{flagged_alarm.id}")
    next(f for f in page.forms.values() if f.fields.get("step") and f["step"].value == "acknowledge").submit(status=303)
    testapp.reset()
    page = in_language(testapp, lang).get(f"/alarm/{flagged_alarm.token}")
    assert not english_words(page.text)
    assert {"zh_CN": "调度员已接警", "ug": "نۆۋەتچى تاپشۇرۇۋالدى"}[lang] in page.text


@pytest.mark.parametrize("lang", LANGS)
def test_the_staff_pages_carry_no_english(testapp, dbsession, registry, units, lang):
    """Every staff page an officer of each role opens, from the dashboard to the administration."""
    secret = pyotp.random_base32()
    make_officer(dbsession, units["province"], ["admin", "moderator", "handler", "dispatcher"], username="disp_a",
                 totp_secret=secret, cipher=registry["field_cipher"])
    login(testapp, "disp_a", totp_secret=secret)
    in_language(testapp, lang)
    for path in ("/staff", "/staff/tips", "/staff/sightings", "/staff/notices", "/staff/notices/new",
                 "/staff/missing", "/staff/alarms", "/staff/invitations", "/staff/categories",
                 "/staff/categories/new", "/staff/stats", "/staff/officers", "/staff/officers/new", "/staff/units",
                 "/staff/units/new", "/staff/account/password", "/staff/tips?state=nonsense", "/staff/audit"):
        page = testapp.get(path, status="*")
        assert page.status_int in (200, 400), path
        assert not english_words(page.text), path


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("path", ["/missing/new", "/trips/new"])
def test_refused_forms_say_why_in_the_readers_language(testapp, units, lang, path):
    """Colander's and Deform's own words too ("Required", "There was a problem with your submission")."""
    page = in_language(testapp, lang).get(path)
    refused = max(page.forms.values(), key=lambda form: len(form.fields)).submit(status=400)
    assert not english_words(refused.text)
    assert refused.html.select(".error, .error-summary, .alert-danger, [aria-invalid=true]")


@pytest.mark.parametrize("lang, words", [("zh_CN", "纬度不是数字"), ("ug", "كەڭلىك سان ئەمەس")])
def test_a_position_refusal_is_in_the_readers_language(testapp, units, lang, words):
    answer = in_language(testapp, lang).get("/alarm/route?lat=abc&lon=116", status=400)
    assert words in answer.json["error"]
