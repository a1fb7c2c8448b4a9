"""Fetcher against compression bombs: peak memory of a fresh process fetching each one.

    python bench/fetch_bombs.py                 # this checkout
    python bench/fetch_bombs.py --root DIR      # another checkout of the repository (before/after)

Serves each hostile body from the tests' local article server (tests/harness/bombs.py builds the same
bytes the tests use) and, per case, starts a fresh `python` that imports bot.articles.fetch and fetches it under
the default policy (5 MB cap). Prints the refusal, the time taken and the child's peak RSS
(`resource.getrusage(RUSAGE_SELF).ru_maxrss`): absolute, and the growth over its peak right before the
fetch (imports included in the first, excluded from the second). Target: peak under 300 MB whatever the
page sends; growth within a few times the cap.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.harness.article_server import ArticleServer  # noqa: E402
from tests.harness.bombs import MB, deflate_bomb, gzip_bomb, stacked_gzip_bomb  # noqa: E402

CHILD = """
import json, resource, sys, time
from bot.articles.fetch import FetchError, FetchPolicy, fetch
policy = FetchPolicy(allowed_private_hosts=frozenset({sys.argv[2]}), total_timeout=60)
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
started = time.monotonic()
try:
    outcome = "read %d bytes" % len(fetch(sys.argv[1], policy).body)
except FetchError as error:
    outcome = error.code
seconds = time.monotonic() - started
after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"outcome": outcome, "seconds": seconds, "peak_mb": after / 1024,
                  "growth_mb": (after - before) / 1024}))
"""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--root", type=Path, default=ROOT, help="checkout whose bot/fetch.py is measured")
    parser.add_argument("--expanded-mb", type=int, default=400, help="what each bomb expands to")
    args = parser.parse_args()
    size = args.expanded_mb * MB
    cases = [
        ("gzip", "gzip", gzip_bomb(size)),
        ("deflate (zlib)", "deflate", deflate_bomb(size)),
        ("deflate (raw)", "deflate", deflate_bomb(size, raw=True)),
        ("gzip, gzip (stacked)", "gzip, gzip", stacked_gzip_bomb(size)),
        ("x-gzip", "x-gzip", gzip_bomb(size)),
    ]
    print(f"python {platform.python_version()}, {platform.machine()}, checkout {args.root}")
    print(f"each bomb expands to {args.expanded_mb} MB; cap 5 MB")
    print(f"{'case':<22} {'sent':>9} {'outcome':<16} {'seconds':>7} {'peak RSS':>9} {'growth':>8}")
    env = {**os.environ, "PYTHONPATH": str(args.root)}
    worst = 0.0
    with ArticleServer() as server:
        for index, (name, encoding, body) in enumerate(cases):
            server.add(f"/b{index}", body, headers={"Content-Encoding": encoding})
            result = subprocess.run([sys.executable, "-c", CHILD, server.url(f"/b{index}"),
                                     f"127.0.0.1:{server.port}"], capture_output=True, text=True, cwd=args.root,
                                    env=env, timeout=300)
            if result.returncode != 0:
                print(f"{name:<22} child failed: {result.stderr.strip().splitlines()[-1:]}")
                continue
            row = json.loads(result.stdout)
            worst = max(worst, row["peak_mb"])
            print(f"{name:<22} {len(body):>9,} {row['outcome']:<16} {row['seconds']:>7.2f} "
                  f"{row['peak_mb']:>6.1f} MB {row['growth_mb']:>5.1f} MB")
    print(f"worst peak RSS: {worst:.1f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
