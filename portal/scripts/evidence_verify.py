"""portal-evidence-verify PACKAGE.zip [--key FILE]: check an evidence package exported by the portal.

Checks the Ed25519 signature of manifest.json, then every file the manifest lists against its size and
SHA-256, files listed but absent and files present but not listed; says each problem in a sentence.
Exit 0 when the package is intact, 1 when anything is wrong, 2 when it cannot check (no such file, a key
that cannot be read).

--key names the portal's public key as published at /.well-known/portal-evidence-key.pem (PEM) or
/.well-known/portal-evidence-keys.json (JWK Set), saved to a file: without it the key inside the package
is used, which proves the package is intact but not who made it: compare the fingerprint printed with
the published one. Needs neither the database nor the portal's settings."""
import argparse
import os
import sys

from portal.evidence.verify import load_public_key, verify


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="portal-evidence-verify", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("package", help="the evidence package (.zip)")
    parser.add_argument("--key", metavar="FILE", help="the portal's public key (PEM or JWK Set), saved to a file")
    args = parser.parse_args(argv)
    if not os.path.isfile(args.package):
        print(f"CANNOT CHECK: no file {args.package}")
        return 2
    trusted = None
    if args.key:
        try:
            with open(args.key, "rb") as f:
                trusted = load_public_key(f.read())
        except (OSError, ValueError) as error:
            print(f"CANNOT CHECK: the key {args.key} cannot be read: {error}")
            return 2
    report = verify(args.package, trusted)
    if report.ok:
        print(f"OK: {report.files} file(s) match the manifest; the manifest's signature is valid "
              f"(key id {report.key_id}, fingerprint {report.fingerprint}).")
        if not report.trusted_key:
            print("The key is the one inside the package: compare its fingerprint with the portal's published "
                  "key, or check again with --key.")
        return 0
    print(f"FAILED: {len(report.problems)} problem(s) in {args.package}:")
    for problem in report.problems:
        print(f"- {problem}")
    return 1


if __name__ == "__main__":
    sys.exit(main())
