"""The tamper-evident audit log: every step and every showing of a protected field, sealed with the
audit key and chained (chain.py), anchored by signed checkpoints outside the database
(checkpoints.py, written by the worker's job in jobs.py), checked by `portal-audit-verify`
(verify.py). Its staff page is in staff/ (it reads officers and units)."""
from portal.audit import keys
from portal.audit.checkpoints import FileCheckpointSink, ICheckpointSink


def includeme(config):
    settings = config.get_settings()
    keys.from_settings(settings)  # a missing or malformed key stops start-up, not the first event
    path = (settings.get("portal.audit.checkpoint_file") or "").strip()
    if path:
        config.registry.registerUtility(FileCheckpointSink(path), ICheckpointSink, name="file")
