"""deploy/nginx/tracker.conf run locally: loopback ports and a throwaway self-signed certificate.

For tests/e2e/test_deploy.py (failover) and the load benchmark (tracker/bench_load.py): the file
docs/deploy.md installs, with only its ports, certificate and key swapped, under a private nginx
prefix (no root, nothing in /etc).
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from pathlib import Path

SITE = Path(__file__).resolve().parent.parent / "deploy" / "nginx" / "tracker.conf"


def nginx_binary() -> str | None:
    """Debian's nginx, or None when it is not installed."""
    path = shutil.which("nginx") or "/usr/sbin/nginx"
    return path if os.access(path, os.X_OK) else None


def _replace_once(text: str, old: str, new: str) -> str:
    if text.count(old) != 1:
        raise ValueError(f"deploy/nginx/tracker.conf no longer has exactly one {old!r}")
    return text.replace(old, new)


def site_config(app_ports: tuple[int, int], http_port: int, https_port: int, cert: Path, key: Path) -> str:
    """The deployed site file with these ports and certificate (everything else as shipped)."""
    text = SITE.read_text(encoding="utf-8")
    text = _replace_once(text, "server 127.0.0.1:8501 ", f"server 127.0.0.1:{app_ports[0]} ")
    text = _replace_once(text, "server 127.0.0.1:8502 ", f"server 127.0.0.1:{app_ports[1]} ")
    text = _replace_once(text, "listen 80;", f"listen 127.0.0.1:{http_port};")
    text = _replace_once(text, "listen 443 ssl;", f"listen 127.0.0.1:{https_port} ssl;")
    text = _replace_once(text, "/etc/ssl/tracker/fullchain.pem", str(cert))
    return _replace_once(text, "/etc/ssl/tracker/privkey.pem", str(key))


def self_signed(directory: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 valid two days, and its key."""
    cert, key = directory / "cert.pem", directory / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                    "-subj", "/CN=127.0.0.1", "-keyout", str(key), "-out", str(cert)],
                   check=True, capture_output=True, timeout=60)
    return cert, key


def start(nginx: str, workdir: Path, site: str, *, worker_connections: int = 256) -> subprocess.Popen:
    """nginx in the foreground with `site` under a prefix in `workdir`; access.log names the upstream used.

    Raises:
        RuntimeError: `nginx -t` refused the configuration.
    """
    (workdir / "tracker.conf").write_text(site, encoding="utf-8")
    temp_paths = ""
    for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"):
        (workdir / kind).mkdir(exist_ok=True)
        temp_paths += f"  {kind}_temp_path {workdir / kind};\n"
    user = "user root;\n" if os.geteuid() == 0 else ""  # as root, workers would drop to nobody
    (workdir / "nginx.conf").write_text(
        f"{user}worker_processes 1;\npid {workdir}/nginx.pid;\nerror_log {workdir}/error.log info;\n"
        f"events {{ worker_connections {worker_connections}; }}\n"
        "http {\n"
        "  log_format upstream '$request_uri $upstream_addr $status [$cookie_tracker_route] [$http_x_forwarded_for]';\n"
        f"  access_log {workdir}/access.log upstream;\n{temp_paths}"
        f"  include {workdir}/tracker.conf;\n}}\n",
        encoding="utf-8",
    )
    test = subprocess.run([nginx, "-t", "-p", str(workdir), "-c", str(workdir / "nginx.conf")],
                          capture_output=True, text=True, timeout=30)
    if test.returncode != 0:
        raise RuntimeError(test.stderr)
    command = [nginx, "-p", str(workdir), "-c", str(workdir / "nginx.conf"), "-g", "daemon off;"]
    return subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)


def wait_for_port(port: int, timeout: float = 20.0) -> bool:
    """True once something listens on 127.0.0.1:port, False after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return True
        time.sleep(0.1)
    return False
