import pytest

from portal.privacy.crypto import FieldCipher, FieldCipherError, generate_key

OLD, NEW = generate_key(), generate_key()


def test_round_trip_and_fresh_nonces():
    cipher = FieldCipher.from_setting(f"k1:{NEW}", "k1")
    a, b = cipher.encrypt("13800138000", "tip.contact"), cipher.encrypt("13800138000", "tip.contact")
    assert a != b and "13800138000" not in a
    assert a.startswith("k1$")
    assert cipher.decrypt(a, "tip.contact") == "13800138000"


def test_old_key_still_decrypts_after_rotation():
    old = FieldCipher.from_setting(f"k0:{OLD}", "k0")
    token = old.encrypt("张三", "tip.contact")
    rotated = FieldCipher.from_setting(f"k0:{OLD}, k1:{NEW}", "k1")
    assert rotated.decrypt(token, "tip.contact") == "张三"
    assert rotated.needs_reencrypt(token) and not rotated.needs_reencrypt(rotated.encrypt("x", "l"))


@pytest.mark.parametrize("mangle", [
    lambda t: t.replace("k1$", "k9$"),
    lambda t: t[:-4] + ("AAAA" if not t.endswith("AAAA") else "BBBB"),
    lambda t: "k1$not base64!!",
    lambda t: "garbage",
])
def test_tampered_or_unknown_tokens_are_refused(mangle):
    cipher = FieldCipher.from_setting(f"k1:{NEW}", "k1")
    with pytest.raises(FieldCipherError):
        cipher.decrypt(mangle(cipher.encrypt("secret", "label")), "label")


def test_a_ciphertext_moved_to_another_field_does_not_decrypt():
    cipher = FieldCipher.from_setting(f"k1:{NEW}", "k1")
    with pytest.raises(FieldCipherError):
        cipher.decrypt(cipher.encrypt("secret", "tip.contact"), "alarm.sender")


@pytest.mark.parametrize("setting,current", [("k1:c2hvcnQ", "k1"), (f"k1:{NEW}", "k2")])
def test_bad_key_configuration_is_refused(setting, current):
    with pytest.raises(FieldCipherError):
        FieldCipher.from_setting(setting, current)
