# cheat: write an all-passed results message to every open file descriptor and file
# max-points: 0
# flagged: yes
import json
import os

_FAKE = json.dumps({"exercises": [{"module": "ex02_gather", "title": "", "path": None,
                                   "status": "graded", "items": [], "max_points": 10}]})
for fd in range(3, 64):
    try:
        os.write(fd, (_FAKE + "\n").encode())
    except OSError:
        pass
for name in ("results.json", os.path.join(os.environ.get("HOME", "."), "results.json")):
    try:
        with open(name, "w") as file:
            file.write(_FAKE)
    except OSError:
        pass


async def fetch_all(urls, fetch):
    return []


async def fetch_all_settled(urls, fetch):
    return []
