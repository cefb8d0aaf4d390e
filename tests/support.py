"""Helpers for tests that start the real server (`streamlit run app.py`)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def server_env(url: str, data_dir: Path, **extra: str) -> dict[str, str]:
    """The environment of a server process: this test's database, nothing from the developer's."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("SURVEY_")}
    # The scheduler is off unless a test asks for it: its jobs would change what other tests check.
    env.update(
        {
            "SURVEY_DATABASE_URL": url,
            "SURVEY_DATA_DIR": str(data_dir),
            "SURVEY_AUTO_DEMO": "0",
            "SURVEY_SCHEDULER": "off",
        }
    )
    env.update(extra)
    return env


TEST_FLAGS = (
    "--server.address",
    "127.0.0.1",
    "--server.fileWatcherType",
    "none",
    "--browser.gatherUsageStats",
    "false",
)


class LiveApp:
    """`streamlit run app.py` in a subprocess, as a user starts it. ``flags`` replace the ones
    tests usually add (pass none to run on the repository's .streamlit/config.toml alone)."""

    def __init__(self, env: dict[str, str], port: int, flags: tuple[str, ...] = TEST_FLAGS):
        self.port = port
        self.base_url = f"http://127.0.0.1:{port}"
        data_dir = Path(env["SURVEY_DATA_DIR"])
        data_dir.mkdir(parents=True, exist_ok=True)
        self.log_path = data_dir / "server.log"
        self._log = open(self.log_path, "w")  # noqa: SIM115 (open while the server runs; closed in stop)
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "streamlit",
                "run",
                str(PROJECT_ROOT / "app.py"),
                "--server.headless",
                "true",
                "--server.port",
                str(port),
                *flags,
            ],
            cwd=PROJECT_ROOT,
            env=env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )

    def wait_healthy(self, timeout: float = 120) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited with {self.process.returncode}:\n{self.log()}")
            try:
                with urllib.request.urlopen(self.base_url + "/healthz", timeout=5) as response:
                    if response.status == 200:
                        return
            except OSError:
                time.sleep(0.5)
        raise TimeoutError(f"server not healthy after {timeout} s:\n{self.log()}")

    def log(self) -> str:
        self._log.flush()
        return self.log_path.read_text(errors="replace")

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
        self._log.close()


APP_READY = "[data-testid='stApp'][data-test-script-state='notRunning']"


def staff_sign_in(page, base_url: str, username: str, password: str, path: str = "/") -> None:
    """Open a staff page in the browser: the gate sends us to the plain /login page; sign in
    there and land on the page asked for, once Streamlit has finished drawing it."""
    page.goto(base_url + path)
    page.wait_for_url("**/login**")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(password)
    page.get_by_role("button", name="登录", exact=True).click()
    page.wait_for_selector(APP_READY)
