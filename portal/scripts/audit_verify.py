"""portal-audit-verify INI [--checkpoints FILE ...]: check the audit log against the audit key and the
signed checkpoints; name every event found edited, recomputed, inserted, deleted or cut from the end
(truncated), with its id. Exit 0 when nothing is found, 1 on any finding, 2 when it cannot check.

The key comes from the settings (portal.audit_key or $PORTAL_AUDIT_KEY), the checkpoints from
portal.audit.checkpoint_file unless --checkpoints names the files (several for rotated ones)."""
import argparse
import sys

from portal.audit import keys
from portal.audit.verify import summary, verify
from portal.scripts.common import db_session, load_settings


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("config_uri", help="the .ini file, e.g. development.ini")
    parser.add_argument("--checkpoints", action="append", metavar="FILE",
                        help="a checkpoint file to check against (repeat for several; default: "
                             "portal.audit.checkpoint_file)")
    args = parser.parse_args(argv)
    settings = load_settings(args.config_uri)
    try:
        keyring = keys.from_settings(settings)
    except keys.AuditKeyError as exc:
        print(f"CANNOT CHECK: {exc}")
        return 2
    configured = (settings.get("portal.audit.checkpoint_file") or "").strip()
    paths = args.checkpoints or ([configured] if configured else [])
    with db_session(settings) as dbsession:
        report = verify(dbsession, keyring, paths)
    print("\n".join(summary(report, paths)))
    return 0 if report.ok else 1


if __name__ == "__main__":
    sys.exit(main())
