"""Numbers as people type them, codes, and their keyed hashes (portal/phones/codes.py)."""
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from portal.phones.codes import CODE_DIGITS, PhoneHasher, mask, new_code, new_salt, normalize_code, normalize_number

SECRET = "test-session-secret-0123456789abcdef0123456789"


@pytest.mark.parametrize("typed,number", [
    ("13912345678", "13912345678"),
    ("139 1234 5678", "13912345678"),
    ("139-1234-5678", "13912345678"),
    ("+86 139 1234 5678", "13912345678"),
    ("0086 13912345678", "13912345678"),
    ("１３９１２３４５６７８", "13912345678"),  # full-width digits, as a Chinese keyboard types them
    ("(0311) 8765 4321", "031187654321"),
    ("+44 20 7946 0958", "+442079460958"),
])
def test_one_number_however_it_is_typed(typed, number):
    assert normalize_number(typed) == number


@pytest.mark.parametrize("typed", ["", "12345", "1" * 16, "139123456ab", "+", "++8613912345678", "139\n12345678",
                                   "١٣٩١٢٣٤٥٦٧٨", None, 13912345678, "1" * 41])
def test_what_is_not_a_number(typed):
    assert normalize_number(typed) is None


@given(st.text(max_size=60))
@settings(max_examples=300, deadline=None)
def test_any_text_is_a_plain_number_or_nothing(typed):
    number = normalize_number(typed)
    assert number is None or re.fullmatch(r"\+?[0-9]{6,15}", number)


@given(st.text(max_size=30))
@settings(max_examples=300, deadline=None)
def test_any_text_is_a_six_digit_code_or_nothing(typed):
    code = normalize_code(typed)
    assert code is None or re.fullmatch(r"[0-9]{6}", code)


def test_codes_are_six_random_digits():
    codes = {new_code() for _ in range(2000)}
    assert all(len(code) == CODE_DIGITS and code.isascii() and code.isdigit() for code in codes)
    assert len(codes) > 1900  # a million possibilities: 2000 draws hardly repeat
    assert any(code.startswith("0") for code in {new_code() for _ in range(5000)})  # zero-padded, not shortened


def test_a_code_typed_with_spaces_or_full_width_digits_is_read():
    assert normalize_code(" 123 456 ") == "123456"
    assert normalize_code("１２３４５６") == "123456"
    assert normalize_code("12345") is None and normalize_code("1234567") is None


def test_hashes_are_keyed_salted_and_never_the_code_or_number():
    hasher = PhoneHasher(SECRET)
    number_hash = hasher.number("13912345678")
    assert "13912345678" not in number_hash and len(number_hash) == 64
    assert number_hash == PhoneHasher(SECRET).number("13912345678")  # found again by the form
    assert number_hash != PhoneHasher(SECRET + "x").number("13912345678")  # keyed
    salt, other_salt = new_salt(), new_salt()
    stored = hasher.code(salt, number_hash, "123456")
    assert "123456" not in stored
    assert stored != hasher.code(other_salt, number_hash, "123456")  # salted per row
    assert stored != hasher.code(salt, hasher.number("13900000000"), "123456")  # bound to its number
    assert hasher.matches(salt, number_hash, "123456", stored)
    assert not hasher.matches(salt, number_hash, "123457", stored)


def test_the_comparison_is_constant_time(monkeypatch):
    import hmac

    compared = []
    real = hmac.compare_digest
    monkeypatch.setattr(hmac, "compare_digest", lambda a, b: compared.append((a, b)) or real(a, b))
    hasher = PhoneHasher(SECRET)
    hasher.matches("00", "ab", "123456", hasher.code("00", "ab", "123456"))
    assert len(compared) == 1


def test_a_page_shows_only_the_last_four_digits():
    assert mask("13912345678") == "***5678"
