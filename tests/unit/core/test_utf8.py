"""URLs made valid UTF-8 before anything reads them: GBK read as GBK, anything else replaced, and
valid UTF-8 (the usual case) left exactly as it came."""
from urllib.parse import parse_qsl, quote

from hypothesis import given
from hypothesis import strategies as st

from portal.core.utf8 import utf8_path, utf8_query


def test_a_gbk_query_is_read_as_gbk():
    assert utf8_query("q=%D6%D0%CE%C4") == "q=" + quote("中文")
    assert parse_qsl(utf8_query("from=%D6%D0&lang=en"), encoding="utf-8", errors="strict") == [
        ("from", "中"), ("lang", "en")]


def test_bytes_that_are_no_text_become_replacement_characters():
    assert parse_qsl(utf8_query("x=%ff%fe"), errors="strict")[0][1].startswith("\ufffd")


def test_valid_utf8_and_plain_queries_are_left_alone():
    for query in ("", "kind=missing_person&page=2", "q=" + quote("张兰"), "q=a+b", "a=1;b=2"):
        assert utf8_query(query) == query


def test_a_gbk_path_becomes_utf8():
    assert utf8_path("/\xd6\xd0") == "/" + "中".encode().decode("latin-1")
    assert utf8_path("/notices/12") == "/notices/12"


@given(st.binary(max_size=30), st.binary(max_size=30))
def test_any_bytes_give_a_query_of_utf8_keys_and_values(key, value):
    raw = "".join(f"%{b:02X}" for b in key) + "=" + "".join(f"%{b:02X}" for b in value)
    pairs = parse_qsl(utf8_query(raw), keep_blank_values=True, encoding="utf-8", errors="strict")
    assert len(pairs) <= 1


@given(st.binary(max_size=30))
def test_any_path_bytes_give_a_utf8_path(raw):
    utf8_path(raw.decode("latin-1")).encode("latin-1").decode("utf-8")


def test_raw_bytes_in_a_form_body_are_read_too():
    assert utf8_query("text=\xd6\xd0") == "text=" + quote("中")


def test_a_declared_charset_is_honoured():
    assert utf8_query("text=caf%E9", "latin-1") == "text=" + quote("café")
    assert utf8_query("text=caf\xe9", "latin-1") == "text=" + quote("café")


def test_nul_is_dropped_from_queries_forms_and_paths():
    assert utf8_query("q=a%00b&x=%00") == "q=ab&x="
    assert utf8_query("q=a\x00b") == "q=ab"
    assert utf8_path("/notices\x00/1") == "/notices/1"
