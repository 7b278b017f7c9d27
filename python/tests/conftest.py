"""Shared set-up of the Python package's tests: the repository's sample data, the
command line built beside the wheel (LEADSCORE_BIN, else target/release/leadscore), and
one model trained by the command line, shared by the tests that need one."""

import os
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "data"
AS_OF = "2025-07-01"


@pytest.fixture(scope="session")
def cli():
    binary = Path(os.environ.get("LEADSCORE_BIN", ROOT / "target" / "release" / "leadscore"))
    if not binary.exists():
        pytest.fail(f"the command line is not built at {binary}: run cargo build --release (or set LEADSCORE_BIN)")

    def run(*args, check=True):
        done = subprocess.run([str(binary), *map(str, args)], capture_output=True, text=True)
        if check and done.returncode != 0:
            raise AssertionError(f"leadscore {' '.join(map(str, args))} exited {done.returncode}: {done.stderr}")
        return done

    return run


@pytest.fixture(scope="session")
def cli_model(cli, tmp_path_factory):
    path = tmp_path_factory.mktemp("cli") / "leads.model"
    cli("train", "--data", DATA / "sample_leads.csv", "--label", "outcome", "--model", path, "-q")
    return path
