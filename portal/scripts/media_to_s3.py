"""portal-media-to-s3 CONFIG.ini: copy the local media (portal.media_dir) into the bucket named by the
portal.media.s3.* settings (or $PORTAL_S3_*), before switching portal.media.backend to s3.

Run it again at any time: objects already in the bucket with the same size and SHA-256 are skipped, so a
second run after the switch (with the web servers stopped for a moment) copies only what arrived in
between. Every copied object is read back and hashed. Exit 0 when every file is in the bucket, 1 when
some could not be copied (each is named), 2 when the bucket cannot be used (a sentence, never a key)."""
import argparse
import sys

from portal.core.settings import SettingsError
from portal.media.backends import s3_store
from portal.media.to_s3 import copy_to_bucket
from portal.scripts.common import load_settings


def main(argv=None, out=None) -> int:
    out = out or sys.stdout
    parser = argparse.ArgumentParser(prog="portal-media-to-s3", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("config_uri")
    args = parser.parse_args(argv)
    settings = load_settings(args.config_uri)
    try:
        store = s3_store(settings)
    except SettingsError as error:
        print(f"CANNOT COPY: {error}", file=out)
        return 2
    root = settings["portal.media_dir"]
    report = copy_to_bucket(root, store)
    print(f"{report.copied} file(s) copied ({report.copied_bytes} bytes, each read back and verified), "
          f"{report.skipped} already in the bucket, {len(report.failed)} failed: {root} -> bucket {store.bucket}",
          file=out)
    for key, reason in report.failed:
        print(f"- {key}: {reason}", file=out)
    return 1 if report.failed else 0


if __name__ == "__main__":
    sys.exit(main())
