"""Run a command and print its peak resident memory (KiB), as the kernel counted it.

    python -S peak.py COMMAND...

A small process of its own starts the command, so the count is the command's alone (a
child forked from a large test process starts with the parent's high-water mark)."""

import os
import sys

pid = os.posix_spawn(sys.argv[1], sys.argv[1:], os.environ)
_, status, usage = os.wait4(pid, 0)
print(usage.ru_maxrss, file=sys.stderr)
sys.exit(os.waitstatus_to_exitcode(status))
