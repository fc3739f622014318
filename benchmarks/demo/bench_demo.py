"""The newcomer's first minutes: how big ``make demo``'s virtualenv is, how soon ``streammesh demo`` answers,
and how much memory the demo's processes hold once every sample app runs.

    .venv/bin/python benchmarks/demo/bench_demo.py                  # startup and memory, 3 runs
    .venv/bin/python benchmarks/demo/bench_demo.py --venv-size      # also a fresh clone's 'make install-demo'

Targets: virtualenv <= 450 MB, first HTTP 200 on / <= 5 s, total RSS <= 500 MB.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import orjson

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from benchmarks.machine import machine

TARGET_VENV_MB, TARGET_FIRST_200_S, TARGET_RSS_MB = 450, 5.0, 500


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(url: str, timeout: float = 2.0) -> tuple[int, bytes]:
    with urllib.request.urlopen(url, timeout=timeout) as response:
        return response.status, response.read()


def _children() -> dict[int, list[int]]:
    """Parent pid -> child pids, from /proc (psutil is not a dependency)."""
    tree: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        tree.setdefault(ppid, []).append(int(entry.name))
    return tree


def _descendants(pid: int) -> set[int]:
    tree, found, todo = _children(), {pid}, [pid]
    while todo:
        for child in tree.get(todo.pop(), []):
            if child not in found:
                found.add(child)
                todo.append(child)
    return found


def _memory_kb(pid: int) -> tuple[int, int]:
    """(RSS, PSS) of one process in kB; PSS shares pages mapped by several processes out fairly."""
    rss = pss = 0
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                rss = int(line.split()[1])
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                pss = int(line.split()[1])
    except OSError:
        pass
    return rss, pss


def run_demo(command: list[str], env: dict[str, str], apps_timeout: float) -> dict[str, float]:
    """Launch the demo, time its first 200 on ``/``, wait for every sample app, sum the processes' memory."""
    port = _free_port()
    with tempfile.TemporaryDirectory(prefix="bench-demo-") as tmp:
        workspace = Path(tmp) / "demo"
        started = time.monotonic()
        proc = subprocess.Popen(
            [*command, "demo", "--port", str(port), "--demo-workspace", str(workspace)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            env=env,
            cwd=tmp,
        )
        result: dict[str, float] = {}
        try:
            while True:
                if proc.poll() is not None:
                    raise SystemExit(f"the demo exited with {proc.returncode} before answering")
                try:
                    if _get(f"http://127.0.0.1:{port}/")[0] == 200:
                        break
                except OSError:
                    time.sleep(0.02)
            result["first_200_s"] = time.monotonic() - started
            deadline = time.monotonic() + apps_timeout
            apps: list[dict] = []
            while time.monotonic() < deadline:
                apps = orjson.loads(_get(f"http://127.0.0.1:{port}/api/v1/apps", timeout=10)[1])["items"]
                if apps and all(a["status"] == "running" for a in apps):
                    break
                time.sleep(0.5)
            else:
                raise SystemExit(f"the sample apps did not all run within {apps_timeout} s: {apps}")
            result["apps_running_s"] = time.monotonic() - started
            result["apps"] = len(apps)
            time.sleep(3)  # let the workers settle on their first batches
            pids = _descendants(proc.pid) | {a["pid"] for a in apps if a.get("pid")}
            for pid in list(pids):
                pids |= _descendants(pid)
            memory = [_memory_kb(pid) for pid in pids]
            result["processes"] = len(pids)
            result["rss_mb"] = sum(m[0] for m in memory) / 1024
            result["pss_mb"] = sum(m[1] for m in memory) / 1024
        finally:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
    return result


def venv_size(python: str) -> tuple[int, list[str]]:
    """``make install-demo`` in a fresh clone of this checkout's HEAD: the virtualenv's MB and biggest entries."""
    with tempfile.TemporaryDirectory(prefix="bench-clone-") as tmp:
        clone = Path(tmp) / "clone"
        subprocess.run(["git", "clone", "-q", str(ROOT), str(clone)], check=True)
        subprocess.run(["make", "install-demo", f"PYTHON={python}"], cwd=clone, check=True)
        total = int(subprocess.run(["du", "-sm", ".venv"], cwd=clone, capture_output=True, text=True).stdout.split()[0])
        site = next((clone / ".venv" / "lib").glob("python*/site-packages"))
        sizes = subprocess.run(
            f"du -sm {site}/* | sort -n | tail -12", shell=True, capture_output=True, text=True
        ).stdout.splitlines()
        return total, [line.replace(str(site) + "/", "") for line in sizes]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=3, help="demo launches (best first-200 and median memory)")
    parser.add_argument("--apps-timeout", type=float, default=180.0, help="seconds to wait for every sample app")
    parser.add_argument(
        "--streammesh",
        help="the console script to launch (default: this interpreter with this checkout's src on PYTHONPATH)",
    )
    parser.add_argument("--venv-size", action="store_true", help="also measure a fresh clone's 'make install-demo'")
    parser.add_argument("--python", default="python3", help="interpreter 'make install-demo' builds the venv with")
    args = parser.parse_args()

    env = {k: v for k, v in os.environ.items() if k != "STREAMMESH_WORKSPACE"}
    if args.streammesh:
        command = [shutil.which(args.streammesh) or args.streammesh]
    else:
        command = [sys.executable, "-m", "streammesh.cli.main"]
        env["PYTHONPATH"] = os.pathsep.join([str(ROOT / "src"), *filter(None, [env.get("PYTHONPATH")])])

    print(f"machine: {machine()}; load average {os.getloadavg()[0]:.2f} at start")
    print(f"command: {' '.join(command)} demo")
    runs = []
    for i in range(args.repeat):
        r = run_demo(command, env, args.apps_timeout)
        runs.append(r)
        print(
            f"run {i + 1}: first 200 {r['first_200_s']:.2f} s; {r['apps']:.0f} apps running after "
            f"{r['apps_running_s']:.1f} s; {r['processes']:.0f} processes, RSS {r['rss_mb']:.0f} MB, "
            f"PSS {r['pss_mb']:.0f} MB"
        )
    best = min(r["first_200_s"] for r in runs)
    rss = sorted(r["rss_mb"] for r in runs)[len(runs) // 2]
    pss = sorted(r["pss_mb"] for r in runs)[len(runs) // 2]
    print()
    print("| measure | value | target |")
    print("|---|---:|---:|")
    print(f"| first HTTP 200 on / after launch (best of {len(runs)}) | {best:.2f} s | <= {TARGET_FIRST_200_S:.0f} s |")
    print(f"| RSS summed over the demo's processes, all apps running (median) | {rss:.0f} MB | <= {TARGET_RSS_MB} MB |")
    print(f"| PSS summed over the same processes (median) | {pss:.0f} MB | |")
    if args.venv_size:
        total, biggest = venv_size(args.python)
        print(f"| fresh clone, 'make install-demo': du -sm .venv | {total} MB | <= {TARGET_VENV_MB} MB |")
        print("\nbiggest entries of site-packages (MB):")
        print("\n".join(biggest))


if __name__ == "__main__":
    main()
