#!/usr/bin/env python3
"""run_all.py: the test driver behind `make check`.

Runs, in order: every unit test program (check) under $BUILD/tests, the
corpus comparison (postern-msginfo against ../shared/corpus), and every
integration test file tests/integration/test_*.py (each in its own Python
process, a few at a time).  Integration tests run against a fresh install
in a temporary 0755 prefix (so that, as root, every service user can exec
the programs).  The last line is the sum: "N passed, M failed".
"""
import concurrent.futures, os, re, shutil, subprocess, sys, tempfile, time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BUILD = os.environ.get("BUILD", "build")
if not os.path.isabs(BUILD):
    BUILD = os.path.join(ROOT, BUILD)
def find_corpus():
    """$POSTERN_CORPUS, else shared/corpus beside this tree, else beside the
    local repository this tree was cloned from (a clone made into a temp
    dir has no shared/ beside it).  Not found: the first candidate, so the
    corpus checks fail with its path."""
    if os.environ.get("POSTERN_CORPUS"):
        return os.environ["POSTERN_CORPUS"]
    here = os.path.join(ROOT, "..", "shared", "corpus")
    if os.path.isdir(here):
        return here
    try:
        origin = subprocess.run(["git", "-C", ROOT, "config", "--get", "remote.origin.url"],
                                capture_output=True, text=True, timeout=10).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        origin = ""
    if origin.startswith("file://"):
        origin = origin[len("file://"):]
    if origin.startswith("/"):
        there = os.path.join(origin, "..", "shared", "corpus")
        if os.path.isdir(there):
            return os.path.normpath(there)
    return here


CORPUS = find_corpus()
JOBS = int(os.environ.get("POSTERN_TEST_JOBS", "3"))

totals = {"passed": 0, "failed": 0}
failures = []


def note(kind, name, passed, failed, extra=""):
    totals["passed"] += passed
    totals["failed"] += failed
    status = "ok" if failed == 0 else "FAIL"
    print("%-5s %-12s %-40s %d passed, %d failed %s" % (status, kind, name, passed, failed, extra), flush=True)
    if failed:
        failures.append("%s %s" % (kind, name))


def run_unit():
    d = os.path.join(BUILD, "tests")
    if not os.path.isdir(d):
        return
    for name in sorted(os.listdir(d)):
        path = os.path.join(d, name)
        if not name.startswith("test_") or not os.access(path, os.X_OK):
            continue
        env = dict(os.environ, CK_FORK="yes", CK_DEFAULT_TIMEOUT="60",
                   POSTERN_SRCDIR=ROOT, POSTERN_CORPUS=CORPUS)
        t0 = time.time()
        p = subprocess.run([path], capture_output=True, text=True, env=env, cwd=ROOT, errors="replace")
        out = p.stdout + p.stderr
        m = re.findall(r"(\d+)%: Checks: (\d+), Failures: (\d+), Errors: (\d+)", out)
        if not m:
            note("unit", name, 0, 1, "(no check summary, exit %d)" % p.returncode)
            sys.stdout.write(out[-3000:])
            continue
        checks = sum(int(x[1]) for x in m)
        bad = sum(int(x[2]) + int(x[3]) for x in m)
        if p.returncode != 0 and bad == 0:
            bad = 1
        note("unit", name, checks - bad, bad, "(%.1fs)" % (time.time() - t0))
        if bad:
            sys.stdout.write("\n".join(l for l in out.splitlines() if ":F:" in l or ":E:" in l)[-4000:] + "\n")


def run_corpus():
    tool = os.path.join(BUILD, "bin", "postern-msginfo")
    script = os.path.join(CORPUS, "tools", "msginfo-compare")
    if not os.path.exists(tool):
        print("note  corpus       postern-msginfo not built yet", flush=True)
        return
    if not os.path.exists(script):
        note("corpus", "msginfo-compare", 0, 1, "(corpus not found at %s)" % CORPUS)
        return
    p = subprocess.run([sys.executable, script, tool, CORPUS], capture_output=True, text=True, errors="replace")
    lines = p.stdout.strip().splitlines()
    m = re.match(r"(\d+) passed, (\d+) failed", lines[-1] if lines else "")
    if not m:
        note("corpus", "msginfo-compare", 0, 1, "(no summary)")
        print(p.stdout[-3000:], p.stderr[-3000:])
        return
    note("corpus", "msginfo-compare", int(m.group(1)), int(m.group(2)))
    if int(m.group(2)):
        print("\n".join(lines[-60:]))


def install_prefix():
    prefix = tempfile.mkdtemp(prefix="postern-prefix-")
    os.chmod(prefix, 0o755)
    p = subprocess.run(["make", "--no-print-directory", "-C", ROOT, "NODEPS=1",
                        "BUILD=" + os.path.relpath(BUILD, ROOT), "SANITIZE=" + os.environ.get("SANITIZE", ""),
                        "PREFIX=" + prefix, "install"], capture_output=True, text=True)
    if p.returncode != 0:
        print(p.stdout[-2000:], p.stderr[-2000:])
        raise SystemExit("make install failed")
    return prefix


def run_one_integration(path, prefix):
    env = dict(os.environ, POSTERN_PREFIX=prefix, POSTERN_SRCDIR=ROOT, POSTERN_BUILD=BUILD,
               POSTERN_CORPUS=CORPUS, PYTHONDONTWRITEBYTECODE="1")
    if os.environ.get("SANITIZE") == "1":
        # Daemons under test keep their configuration until they exit:
        # LeakSanitizer's exit-time report would turn every such exit into
        # a failure status (and LSan cannot run under strace).  Leaks are
        # checked by the unit tests; ASan and UBSan stay fully on here.
        env["ASAN_OPTIONS"] = "detect_leaks=0"
    t0 = time.time()
    try:
        p = subprocess.run([sys.executable, os.path.join(ROOT, "tests", "integration", "runone.py"), path],
                           capture_output=True, text=True, env=env, timeout=900, errors="replace")
        out = p.stdout + p.stderr
    except subprocess.TimeoutExpired as e:
        return path, 0, 1, "timed out after 900s", time.time() - t0
    m = re.search(r"^RESULT (\d+) passed, (\d+) failed$", out, re.M)
    if not m:
        return path, 0, 1, out[-4000:], time.time() - t0
    return path, int(m.group(1)), int(m.group(2)), out if int(m.group(2)) else "", time.time() - t0


def run_integration():
    d = os.path.join(ROOT, "tests", "integration")
    files = sorted(os.path.join(d, f) for f in os.listdir(d) if f.startswith("test_") and f.endswith(".py"))
    only = os.environ.get("POSTERN_TESTS")
    if only:
        files = [f for f in files if any(o in os.path.basename(f) for o in only.split(","))]
    if not files:
        return
    prefix = install_prefix()
    try:
        with concurrent.futures.ThreadPoolExecutor(max_workers=JOBS) as ex:
            for path, ok, bad, out, secs in ex.map(lambda f: run_one_integration(f, prefix), files):
                note("integration", os.path.basename(path), ok, bad, "(%.1fs)" % secs)
                if bad:
                    print(out[-6000:])
    finally:
        shutil.rmtree(prefix, ignore_errors=True)


def main():
    only = None
    if len(sys.argv) > 2 and sys.argv[1] == "--only":
        only = sys.argv[2]
    if only in (None, "unit"):
        run_unit()
    if only in (None, "corpus", "unit"):
        run_corpus()
    if only in (None, "integration"):
        run_integration()
    if failures:
        print("failed: " + ", ".join(failures))
    print("%d passed, %d failed" % (totals["passed"], totals["failed"]))
    sys.exit(1 if totals["failed"] or totals["passed"] == 0 else 0)


if __name__ == "__main__":
    main()
