import pyotp

from portal.accounts import passwords, totp


def test_argon2_hash_and_verify():
    stored = passwords.hash_password("a long password here")
    assert stored.startswith("$argon2id$")
    assert passwords.verify_password(stored, "a long password here")
    assert not passwords.verify_password(stored, "a long password herE")
    assert not passwords.verify_password(None, "anything")  # unknown user: still hashes, still False
    assert not passwords.verify_password("not-a-hash", "anything")


def test_totp_accepts_current_and_adjacent_steps_but_not_replays():
    secret = pyotp.random_base32()
    now = 1_800_000_000.0
    step = int(now // 30)
    code = pyotp.TOTP(secret).at(now)
    assert totp.accepted_step(secret, code, None, now=now) == step
    assert totp.accepted_step(secret, code, step, now=now) is None  # replay
    previous = pyotp.TOTP(secret).at(now - 30)
    assert totp.accepted_step(secret, previous, None, now=now) == step - 1  # clock drift
    assert totp.accepted_step(secret, pyotp.TOTP(secret).at(now - 90), None, now=now) is None
    assert totp.accepted_step(secret, f"{code[:3]} {code[3:]}", None, now=now) == step
    assert totp.accepted_step(secret, "abcdef", None, now=now) is None


def test_provisioning_qr_is_an_svg_data_uri():
    uri = totp.provisioning_uri(pyotp.random_base32(), "admin")
    assert uri.startswith("otpauth://totp/") and "issuer=Safety%20Portal" in uri
    assert totp.qr_svg_data_uri(uri).startswith("data:image/svg+xml")
