"""CI's own script (.ci/run) parses, and ends by running the README's `make test`: twice an edit that
inserted an install step landed in the middle of its header comment, and CI could not even start."""
import pathlib
import subprocess

CI_RUN = pathlib.Path(__file__).parents[2] / ".ci" / "run"


def test_ci_script_is_valid_bash():
    checked = subprocess.run(["bash", "-n", str(CI_RUN)], capture_output=True, text=True)
    assert checked.returncode == 0, checked.stderr


def test_ci_script_installs_then_runs_make_test_last():
    lines = [line for line in CI_RUN.read_text().splitlines() if line.strip() and not line.startswith("#")]
    assert lines[-1] == "make test"
    header = CI_RUN.read_text().split("\nset -euo pipefail", 1)[0]
    assert all(line.startswith("#") for line in header.splitlines()), "code inside the header comment"
