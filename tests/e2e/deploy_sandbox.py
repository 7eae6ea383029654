"""A sandbox in which docs/deploy.md's shell blocks run as written, on one machine, without root's reach.

tests/e2e/test_deploy_guide.py reads the guide's ```bash blocks and runs them in order in one bash.
Before they run, `Sandbox.rewrite` moves what they touch into a temporary directory: `/opt/`, `/etc/`
and `/var/` become `<root>/opt/` ..., the app ports 8501 and 8502 and nginx's 80 and 443 become free
loopback ports, the database URL gets the throwaway cluster's port. The same rewrite is applied to the
deploy/ files of the checkout the guide's `git clone` makes, so unit files, settings and the nginx site
agree with the commands. Nothing else of the text changes.

A few commands need a whole machine; this file, run as a program, stands in for them (`python3
deploy_sandbox.py NAME ARGS...`, installed by the test as NAME in a directory put first on PATH):

- apt-get: `update` does nothing; `install` checks that each package is installed (dpkg) and lays
  down what Debian's nginx package puts in /etc/nginx (nginx.conf, sites-available, sites-enabled);
- useradd, chown: do nothing (the sandbox runs everything as the test's own user);
- install: the real one, without -o/-g (no `tracker` account exists here);
- runuser: runs the command as the current user; as `postgres` it talks to the throwaway cluster;
- git: `clone` copies the test's checkout (its tracked and new files) and links its .venv;
  `pull` says it is up to date;
- make: `setup` checks that the checkout's .venv has every package of requirements.txt (a test
  downloads nothing);
- nginx: the real one, with the sandbox's prefix, configuration and log;
- systemctl: starts what the unit files in <root>/etc/systemd/system say (parsed: Type, User ignored,
  WorkingDirectory, EnvironmentFile, ExecStart, ExecStartPost, %i and %%), keeps their pids in
  <root>/run/systemd, and records enabled timers (a timer never fires here: the guide starts each
  timer's service itself).
"""

from __future__ import annotations

import configparser
import fnmatch
import json
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

CONFIG_ENV = "DEPLOY_SANDBOX"
SHIMS = ("apt-get", "useradd", "chown", "install", "runuser", "git", "make", "nginx", "systemctl")
_ABSOLUTE = re.compile(r"(?<![\w./-])/(opt|etc|var)/")


@dataclass
class Sandbox:
    root: str
    repo: str
    app_ports: tuple[int, int]
    http_port: int
    https_port: int
    pg_port: int

    def rules(self) -> list[tuple[str, re.Pattern, str]]:
        """(name, pattern, replacement): what moves into the sandbox, in the guide and in deploy/."""
        return [
            ("/opt, /etc, /var", _ABSOLUTE, rf"{self.root}/\1/"),
            ("app port 8501", re.compile(r"\b8501\b"), str(self.app_ports[0])),
            ("app port 8502", re.compile(r"\b8502\b"), str(self.app_ports[1])),
            ("nginx port 80", re.compile(r"\blisten 80;"), f"listen 127.0.0.1:{self.http_port};"),
            ("nginx port 443", re.compile(r"\blisten 443 ssl;"), f"listen 127.0.0.1:{self.https_port} ssl;"),
            ("database port", re.compile(r"@127\.0\.0\.1/tracker\b"), f"@127.0.0.1:{self.pg_port}/tracker"),
            # No mail leaves the test: the example's mail server becomes loopback (nothing listens there).
            ("mail server", re.compile(r"^TRACKER_SMTP_HOST=.*$", re.M), "TRACKER_SMTP_HOST=127.0.0.1"),
        ]

    def rewrite(self, text: str, counts: dict[str, int] | None = None) -> str:
        for name, pattern, replacement in self.rules():
            text, n = pattern.subn(replacement, text)
            if counts is not None:
                counts[name] = counts.get(name, 0) + n
        return text

    def path(self, *parts: str) -> Path:
        return Path(self.root, *parts)

    def save(self) -> Path:
        path = self.path("sandbox.json")
        path.write_text(json.dumps(asdict(self)), encoding="utf-8")
        return path

    @classmethod
    def load(cls) -> Sandbox:
        data = json.loads(Path(os.environ[CONFIG_ENV]).read_text(encoding="utf-8"))
        data["app_ports"] = tuple(data["app_ports"])
        return cls(**data)


def fresh_machine(box: Sandbox) -> None:
    """The directories a fresh Debian 12 has where the guide writes (systemd's, ssl's, /opt, /var's)."""
    for parts in (("opt",), ("etc", "systemd", "system"), ("etc", "ssl"), ("var", "lib"), ("var", "backups"),
                  ("var", "log"), ("run",), ("root",), ("bin",)):
        box.path(*parts).mkdir(parents=True, exist_ok=True)
    install_shims(box.path("bin"))


def shell_blocks(markdown: str) -> list[str]:
    """The ```bash blocks of a Markdown text, in order."""
    return re.findall(r"^```bash\n(.*?)^```", markdown, flags=re.M | re.S)


def install_shims(bin_dir: Path) -> None:
    """One small script per stood-in command, each calling this file with its name."""
    bin_dir.mkdir(parents=True, exist_ok=True)
    for name in SHIMS:
        script = bin_dir / name
        script.write_text(f'#!/bin/sh\nexec python3 {Path(__file__).resolve()} {name} "$@"\n', encoding="utf-8")
        script.chmod(0o755)


# The stand-ins -----------------------------------------------------------------------------------


def _fail(message: str) -> None:
    print(f"sandbox: {message}", file=sys.stderr)
    raise SystemExit(1)


def apt_get(box: Sandbox, args: list[str]) -> None:
    if args[:1] == ["update"]:
        return
    if args[:1] != ["install"]:
        _fail(f"apt-get {' '.join(args)} is not stood in for")
    for package in (a for a in args[1:] if not a.startswith("-")):
        status = subprocess.run(["dpkg-query", "-W", "-f=${Status}", package], capture_output=True, text=True)
        if status.stdout.strip() != "install ok installed":
            _fail(f"the package {package} is not installed on this machine (apt-get install {package})")
        if package == "nginx":
            _lay_down_nginx(box)


def _lay_down_nginx(box: Sandbox) -> None:
    """What Debian's nginx package installs in /etc/nginx, with the sandbox's pid, logs and temp files."""
    etc = box.path("etc", "nginx")
    for directory in (etc / "sites-available", etc / "sites-enabled", box.path("var", "log", "nginx"),
                      box.path("var", "lib", "nginx"), box.path("run")):
        directory.mkdir(parents=True, exist_ok=True)
    temp = "".join(f"    {kind}_temp_path {box.path('var', 'lib', 'nginx', kind)};\n"
                   for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
    user = "user root;\n" if os.geteuid() == 0 else ""  # as root, workers would drop to nobody
    (etc / "nginx.conf").write_text(
        f"{user}worker_processes 1;\npid {box.path('run', 'nginx.pid')};\n"
        f"error_log {box.path('var', 'log', 'nginx', 'error.log')};\n"
        "events { worker_connections 256; }\n"
        f"http {{\n    access_log {box.path('var', 'log', 'nginx', 'access.log')};\n{temp}"
        f"    include {etc / 'sites-enabled'}/*;\n}}\n",
        encoding="utf-8")
    (etc / "sites-available" / "default").write_text("# Debian's default site (stand-in: serves nothing)\n")
    default = etc / "sites-enabled" / "default"
    if not default.is_symlink():
        default.symlink_to(etc / "sites-available" / "default")


def install(args: list[str]) -> None:
    kept, skip = [], False
    for arg in args:
        if skip:
            skip = False
        elif arg in ("-o", "-g", "--owner", "--group"):
            skip = True
        elif not arg.startswith(("--owner=", "--group=")):
            kept.append(arg)
    os.execv("/usr/bin/install", ["install", *kept])


def runuser(box: Sandbox, args: list[str]) -> None:
    if "--" not in args or "-u" not in args:
        _fail(f"runuser {' '.join(args)}: expected runuser -u USER [--preserve-environment] -- COMMAND")
    user = args[args.index("-u") + 1]
    command = args[args.index("--") + 1:]
    env = dict(os.environ)
    if user == "postgres":  # Debian's cluster answers its superuser on the local socket; ours on loopback
        env.update(PGHOST="127.0.0.1", PGPORT=str(box.pg_port), PGUSER="postgres")
    os.execvpe(command[0], command, env)


def git(box: Sandbox, args: list[str]) -> None:
    if args[:1] == ["pull"]:
        print("Already up to date.")
        return
    if args[:1] != ["clone"] or len(args) != 3:
        _fail(f"git {' '.join(args)} is not stood in for")
    dest = Path(args[2])
    real_git = shutil.which("git", path="/usr/bin:/bin:/usr/local/bin")  # not this stand-in, first on PATH
    listed = real_git and subprocess.run([real_git, "-C", box.repo, "ls-files", "-z", "--cached", "--others",
                                          "--exclude-standard"], capture_output=True)
    if listed and listed.returncode == 0:  # the checkout's tracked and new files, as a clone of the work would hold
        for name in filter(None, listed.stdout.decode().split("\0")):
            source = Path(box.repo, name)
            if source.is_file() and not source.is_symlink():
                (dest / name).parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(source, dest / name)
    else:  # a release archive, not a repository: its files, without what running it left behind
        shutil.copytree(box.repo, dest, symlinks=True, ignore=shutil.ignore_patterns(
            ".git", ".venv", "__pycache__", ".pytest_cache", "test-artifacts", "*.sqlite3*"))
    (dest / ".venv").symlink_to(Path(box.repo, ".venv").resolve())
    counts: dict[str, int] = {}
    for path in sorted((dest / "deploy").rglob("*")):
        if path.is_file():
            path.write_text(box.rewrite(path.read_text(encoding="utf-8"), counts), encoding="utf-8")
    box.path("rewrites-deploy.json").write_text(json.dumps(counts), encoding="utf-8")


def make(args: list[str]) -> None:
    if args != ["setup"]:
        _fail(f"make {' '.join(args)} is not stood in for")
    check = (
        "import re, importlib.metadata as m\n"
        "for line in open('requirements.txt', encoding='utf-8'):\n"
        "    line = line.split('#')[0].strip()\n"
        "    if line and not line.startswith('-'):\n"
        "        m.version(re.split(r'[<>=!~\\[; ]', line)[0])\n"
    )
    os.execv(".venv/bin/python", [".venv/bin/python", "-c", check])


def _nginx_command(box: Sandbox, *args: str) -> list[str]:
    etc = box.path("etc", "nginx")
    return [shutil.which("nginx", path="/usr/sbin:/usr/bin") or "/usr/sbin/nginx", "-p", f"{etc}/",
            "-e", str(box.path("var", "log", "nginx", "error.log")), "-c", str(etc / "nginx.conf"), *args]


def nginx(box: Sandbox, args: list[str]) -> None:
    command = _nginx_command(box, *args)
    os.execv(command[0], command)


# systemctl ----------------------------------------------------------------------------------------


def _unit_file(box: Sandbox, name: str) -> tuple[Path, str, str]:
    """(file, full unit name, instance) for a unit name as systemctl takes it."""
    if "." not in name.rsplit("@", 1)[-1]:
        name += ".service"
    stem, suffix = name.rsplit(".", 1)
    instance = ""
    if "@" in stem:
        stem, instance = stem.split("@", 1)
        stem += "@"
    path = box.path("etc", "systemd", "system", f"{stem}.{suffix}")
    if not path.is_file():
        _fail(f"Unit {name} not found.")
    return path, name, instance


def _parse(path: Path) -> configparser.ConfigParser:
    unit = configparser.ConfigParser(interpolation=None, strict=False)
    unit.optionxform = str
    unit.read_string(path.read_text(encoding="utf-8"))
    return unit


def _specifiers(value: str, instance: str) -> str:
    return re.sub(r"%[iI%]", lambda m: "%" if m.group() == "%%" else instance, value)


def _environment(box: Sandbox, service) -> dict[str, str]:
    env = {"PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "LANG": "C.UTF-8",
           "HOME": str(box.path("var", "lib", "tracker"))}
    if "EnvironmentFile" in service:
        for line in Path(service["EnvironmentFile"]).read_text(encoding="utf-8").splitlines():
            if line.strip() and not line.lstrip().startswith("#"):
                key, _, value = line.partition("=")
                env[key.strip()] = value.strip().strip('"')
    return env


def _pid_file(box: Sandbox, name: str) -> Path:
    directory = box.path("run", "systemd")
    directory.mkdir(parents=True, exist_ok=True)
    return directory / f"{name}.pid"


def _alive(pid: int) -> bool:
    if pid <= 0:  # an empty pid file (nginx -t leaves one); 0 would mean our own process group
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def _stop(box: Sandbox, name: str) -> None:
    pid_file = _pid_file(box, name)
    if not pid_file.exists():
        return
    pid = int(pid_file.read_text())
    if _alive(pid):
        os.killpg(pid, signal.SIGTERM)
        deadline = time.monotonic() + 20
        while _alive(pid) and time.monotonic() < deadline:
            time.sleep(0.1)
        if _alive(pid):
            os.killpg(pid, signal.SIGKILL)
    pid_file.unlink()


def _start(box: Sandbox, name: str) -> None:
    if name in ("nginx", "nginx.service"):
        pid_file = box.path("run", "nginx.pid")
        running = pid_file.exists() and _alive(int(pid_file.read_text().strip() or 0))
        subprocess.run(_nginx_command(box, *(["-s", "reload"] if running else [])), check=True)
        return
    path, name, instance = _unit_file(box, name)
    unit = _parse(path)
    if name.endswith(".timer"):
        _unit_file(box, name.removesuffix(".timer"))  # its service must exist
        return
    service = unit["Service"]
    env = _environment(box, service)
    cwd = service.get("WorkingDirectory")
    log = box.path("var", "log", "journal")
    log.mkdir(parents=True, exist_ok=True)
    start = shlex.split(_specifiers(service["ExecStart"], instance))
    if service.get("Type", "simple") == "oneshot":
        for command in [start, *([shlex.split(_specifiers(service["ExecStartPost"], instance))]
                                 if "ExecStartPost" in service else [])]:
            done = subprocess.run(command, env=env, cwd=cwd, capture_output=True, text=True)
            sys.stdout.write(done.stdout)
            sys.stderr.write(done.stderr)
            if done.returncode != 0:
                _fail(f"Job for {name} failed (exit code {done.returncode}).")
        return
    _stop(box, name)
    with open(log / f"{name}.log", "ab") as out:
        process = subprocess.Popen(start, env=env, cwd=cwd, stdout=out, stderr=subprocess.STDOUT,
                                   stdin=subprocess.DEVNULL, start_new_session=True)
    _pid_file(box, name).write_text(str(process.pid))


def systemctl(box: Sandbox, args: list[str]) -> None:
    verb, rest = args[0], args[1:]
    enabled = box.path("run", "systemd", "enabled")
    enabled.parent.mkdir(parents=True, exist_ok=True)
    if verb == "daemon-reload":
        return
    if verb == "enable":
        now = "--now" in rest
        for name in (r for r in rest if not r.startswith("-")):
            path, full, _ = _unit_file(box, name)
            if "Install" not in _parse(path):
                _fail(f"{full} has no [Install] section")
            with open(enabled, "a", encoding="utf-8") as f:
                f.write(full + "\n")
            if now:
                _start(box, name)
        return
    if verb in ("start", "restart", "reload"):
        for name in rest:
            if verb == "restart" and name not in ("nginx", "nginx.service"):
                _stop(box, _unit_file(box, name)[1])
            _start(box, name)
        return
    if verb == "stop":
        for name in rest:
            _stop(box, _unit_file(box, name)[1])
        return
    if verb == "list-timers":
        pattern = rest[0] if rest else "*"
        timers = [t for t in (enabled.read_text().split() if enabled.exists() else [])
                  if t.endswith(".timer") and fnmatch.fnmatch(t, pattern)]
        for timer in dict.fromkeys(timers):
            calendar = _parse(_unit_file(box, timer)[0])["Timer"]["OnCalendar"]
            print(f"{calendar:<30} {timer:<28} {timer.removesuffix('.timer')}.service")
        return
    _fail(f"systemctl {' '.join(args)} is not stood in for")


def stop_everything(box: Sandbox) -> None:
    """The test's teardown: the services and nginx this sandbox started, by their pids."""
    directory = box.path("run", "systemd")
    for pid_file in sorted(directory.glob("*.pid")) if directory.exists() else []:
        _stop(box, pid_file.name.removesuffix(".pid"))
    pid_file = box.path("run", "nginx.pid")
    if pid_file.exists() and (pid := int(pid_file.read_text().strip() or 0)) and _alive(pid):
        os.kill(pid, signal.SIGQUIT)
        deadline = time.monotonic() + 10
        while _alive(pid) and time.monotonic() < deadline:
            time.sleep(0.1)


def main(argv: list[str]) -> None:
    name, args = argv[0], argv[1:]
    if name in ("useradd", "chown"):
        return
    if name == "install":
        install(args)
    box = Sandbox.load()
    if name == "make":
        make(args)
    handlers = {"apt-get": apt_get, "runuser": runuser, "git": git, "nginx": nginx, "systemctl": systemctl}
    handlers[name](box, args)


if __name__ == "__main__":
    main(sys.argv[1:])
