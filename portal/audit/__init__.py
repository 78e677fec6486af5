"""The tamper-evident audit log: every step and every showing of a protected field, chained by hashes
(chain.py; `portal-audit-verify` checks it). Its staff page is in staff/ (it reads officers and units)."""


def includeme(config):
    pass
