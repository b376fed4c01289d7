# cheat: leave a daemon behind (setsid, double fork), by every route there is
# max-points: 10
# flagged: yes
import os
import subprocess
import sys

MARK = "asynclings-cheat-daemon"
_code = "import os, time\nos.setsid()\ntime.sleep(600)"
try:
    subprocess.Popen([sys.executable, "-c", _code, MARK], start_new_session=True)
except Exception:
    pass
try:
    import _posixsubprocess

    _posixsubprocess.fork_exec(
        [sys.executable, "-c", _code, MARK], [os.fsencode(sys.executable)], True, (),
        None, None, -1, -1, -1, -1, -1, -1, -1, -1, False, True, None, None, None, -1, None,
        *(() if sys.version_info < (3, 12) else (False,)),
    )
except Exception:
    pass
try:
    if os.fork() == 0:
        os.setsid()
        os.execv(sys.executable, [sys.executable, "-c", _code, MARK])
except Exception:
    pass
import asyncio


async def fetch_all(urls, fetch):
    return list(await asyncio.gather(*(fetch(url) for url in urls)))


async def fetch_all_settled(urls, fetch):
    return list(await asyncio.gather(*(fetch(url) for url in urls), return_exceptions=True))
