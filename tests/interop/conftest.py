"""Starts the real p6auth binary on port 0 with a temporary data directory."""
import json
import os
import subprocess

import pytest

BIN = os.environ.get("P6AUTH_BIN", os.path.join(os.path.dirname(__file__), "../../target/debug/p6auth"))


def cli(data_dir, *args):
    out = subprocess.run([BIN, "--data-dir", str(data_dir), *args], capture_output=True, text=True, check=True)
    return out.stdout


class Server:
    def __init__(self, data_dir):
        self.data_dir = data_dir
        self.proc = subprocess.Popen(
            [BIN, "serve", "--listen", "127.0.0.1:0", "--data-dir", str(data_dir)],
            stdout=subprocess.PIPE, text=True, env={**os.environ, "P6AUTH_LOG": "warn"},
        )
        for line in self.proc.stdout:
            if line.startswith("p6auth listening on "):
                self.base = line.split()[-1]
                break
        else:
            raise RuntimeError("p6auth serve exited before printing its address")

    def stop(self):
        self.proc.terminate()
        assert self.proc.wait(timeout=10) == 0


@pytest.fixture
def data_dir(tmp_path):
    return tmp_path / "data"


@pytest.fixture
def server(data_dir, integration):
    s = Server(data_dir)
    yield s
    s.stop()


@pytest.fixture
def integration(data_dir):
    """Created before the server starts, so it is served from the first request."""
    d = data_dir
    cli(d, "instance", "create", "acme")
    cli(d, "permission-set", "create", "--instance", "acme", "--name", "Integration",
        "--permission", "orgs=read", "--permission", 'acme:users=read("./")')
    return json.loads(cli(d, "integration", "create", "--name", "ERP",
                          "--redirect-uri", "https://erp.example/cb", "--policy", "acme/Integration", "--json"))
