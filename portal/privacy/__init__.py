"""Need to know: protected fields encrypted at rest and shown only with an audited reason, receipt
codes kept as slow hashes, secret links kept as hashes."""
from portal.privacy import log_redaction
from portal.privacy.crypto import FieldCipher
from portal.privacy.receipts import ReceiptHasher


def includeme(config):
    log_redaction.install()  # before anything serves a secret link
    settings = config.get_settings()
    config.registry["field_cipher"] = FieldCipher.from_setting(
        settings["portal.field_keys"], settings["portal.field_key_id"]
    )
    config.registry["receipt_hasher"] = ReceiptHasher(settings["portal.receipt_pepper"].encode("utf-8"))
